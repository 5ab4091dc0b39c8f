"""Kubernetes converter pieces (skipperd.dataclients.kubernetes): what mutation testing showed
unchecked in TLS secrets and HTTPS-redirect routes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from skipperd.dataclients.kubernetes.common import (
    append_annotation_filters,
    append_annotation_predicates,
    prepend_application_annotation,
)
from skipperd.dataclients.kubernetes.logs import Log
from skipperd.dataclients.kubernetes.model import AnnotationFilters, AnnotationPredicates, go_quote
from skipperd.dataclients.kubernetes.redirect import (
    FORWARDED_PROTO,
    REDIRECT_ANNOTATION,
    REDIRECT_CODE_ANNOTATION,
    RedirectInfo,
    enable_redirect_route,
    has_proto_predicate,
    init_disable_redirect,
    parse_go_int,
)
from skipperd.dataclients.kubernetes.routes import Draft
from skipperd.dataclients.kubernetes.tls import certificate_error
from skipperd.eskip.route import Filter, Predicate

CRT = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
MISSING = "secret must contain tls.crt and tls.key in data field"


def b64(data: bytes, wrap: str = "") -> str:
    text = base64.b64encode(data).decode()
    return wrap.join(text[i:i + 16] for i in range(0, len(text), 16)) if wrap else text


def secret(data: Any, stype: str = "kubernetes.io/tls") -> dict[str, Any]:
    return {"kind": "Secret", "metadata": {"namespace": "ns", "name": "s1"}, "type": stype, "data": data}


def test_a_tls_secret_with_a_pem_pair_is_usable() -> None:
    assert certificate_error(secret({"tls.crt": b64(CRT), "tls.key": b64(KEY)})) is None
    # Go's base64 decoder skips line breaks, as kubectl may leave them in.
    assert certificate_error(secret({"tls.crt": b64(CRT, "\r\n"), "tls.key": b64(KEY, "\n")})) is None


@pytest.mark.parametrize("data, stype, error", [
    ({"tls.crt": b64(CRT)}, "kubernetes.io/tls", MISSING),
    ({"tls.key": b64(KEY)}, "kubernetes.io/tls", MISSING),
    ({"tls.crt": "", "tls.key": b64(KEY)}, "kubernetes.io/tls", MISSING),
    ({"tls.crt": 1, "tls.key": b64(KEY)}, "kubernetes.io/tls", MISSING),  # malformed data
    ({"tls.crt": b64(CRT) + " ", "tls.key": b64(KEY)}, "kubernetes.io/tls", "failed to decode tls.crt from secret s1"),
    ({"tls.crt": b64(CRT), "tls.key": "!" + b64(KEY)}, "kubernetes.io/tls", "failed to decode tls.key from secret s1"),
    ({"tls.crt": b64(CRT), "tls.key": b64(CRT)}, "kubernetes.io/tls", "failed to create tls certificate from secret s1"),
    ({"tls.crt": b64(KEY), "tls.key": b64(KEY)}, "kubernetes.io/tls", "failed to create tls certificate from secret s1"),
    ({"tls.crt": b64(CRT), "tls.key": b64(KEY)}, "Opaque", "secret s1 is not of type kubernetes.io/tls"),
])
def test_unusable_tls_secrets_say_why_in_skippers_words(data: Any, stype: str, error: str) -> None:
    assert certificate_error(secret(data, stype)) == error


def test_the_disable_redirect_route_puts_its_weight_first() -> None:
    r = Draft(id="r", predicates=[Predicate("Path", ("/a",)), Predicate("Method", ("GET",))])
    init_disable_redirect(r)
    assert r.predicates[0] == Predicate("Weight", (1000.0,))
    assert r.predicates[1:] == [Predicate("Path", ("/a",)), Predicate("Method", ("GET",))]
    assert r.headers == {FORWARDED_PROTO: "http"}


@pytest.mark.parametrize("predicate, decides", [
    (Predicate("Header", (FORWARDED_PROTO, "https")), True),
    (Predicate("HeaderRegexp", (FORWARDED_PROTO, "^https$")), True),
    (Predicate("Header", ("X-Forwarded-Host", "https")), False),
    (Predicate("Path", (FORWARDED_PROTO,)), False),
])
def test_only_a_forwarded_proto_header_predicate_suppresses_the_redirect_twin(
        predicate: Predicate, decides: bool) -> None:
    assert has_proto_predicate(Draft(predicates=[Predicate("Method", ("GET",)), predicate])) is decides


@pytest.mark.parametrize("text, value", [
    ("5", 5), ("+5", 5), ("-5", -5), ("301", 301), ("", None), ("+", None), ("1A", None), ("3.0", None), (" 3", None),
])
def test_redirect_codes_are_read_as_go_atoi(text: str, value: int | None) -> None:
    assert parse_go_int(text) == value


def test_an_object_logs_each_message_once_per_level() -> None:
    log = Log()
    obj = log.for_object("Ingress", "ns", "a")
    obj.error("bad")
    obj.error("bad")
    obj.info("bad")
    obj.info("other")
    assert [(e.level, e.message) for e in log.entries] == [("error", "bad"), ("info", "bad"), ("info", "other")]


@pytest.mark.parametrize("text, quoted", [
    ('a"b\\c', '"a\\"b\\\\c"'),
    ("l1\nl2\tt\rr", '"l1\\nl2\\tt\\rr"'),
    ("ünï", '"ünï"'),
    ("\x01\x7f", '"\\x01\\x7f"'),
    ("zero\u200bwidth", '"zero\\u200bwidth"'),
    ("\U000e0001", '"\\U000e0001"'),
])
def test_go_quote_in_log_messages(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


@pytest.mark.parametrize("text, quoted", [("\a\b\f\v", '"\\a\\b\\f\\v"'), ("\x85", '"\\u0085"')])
def test_go_quote_escapes_like_go_for_all_controls(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


def test_annotation_rules_apply_only_when_the_annotation_has_their_value() -> None:
    preds = (AnnotationPredicates("zalando.org/a", "on", (Predicate("True"),)),)
    filters = (AnnotationFilters("zalando.org/a", "on", (Filter("status", (418.0,)),)),)
    for annotations, applies in [({"zalando.org/a": "on"}, True), ({"zalando.org/a": "off"}, False),
                                 ({"zalando.org/b": "on"}, False), ({}, False)]:
        r = Draft()
        append_annotation_predicates(preds, annotations, r)
        append_annotation_filters(filters, annotations, r)
        assert (r.predicates, r.filters) == (([Predicate("True")], [Filter("status", (418.0,))]) if applies else ([], []))


def test_the_application_label_is_annotated_only_when_the_object_has_it() -> None:
    r = Draft(filters=[Filter("f")])
    prepend_application_annotation({"team": "x"}, "application", r)
    prepend_application_annotation({"application": ""}, "application", r)
    prepend_application_annotation({"application": "shop"}, "", r)
    assert r.filters == [Filter("f")]
    prepend_application_annotation({"application": "shop"}, "application", r)
    assert r.filters == [Filter("annotate", ("Application", "shop")), Filter("f")]


@pytest.mark.parametrize("value, enabled_by_default, redirected", [
    ("true", False, True), ("false", True, False), ("True", False, False), (None, True, True), (None, False, False),
])
def test_the_redirect_annotation_decides_per_host(value: str | None, enabled_by_default: bool, redirected: bool) -> None:
    info = RedirectInfo(enabled_by_default, 308)
    info.init_current({} if value is None else {REDIRECT_ANNOTATION: value}, Log(), "p", "r")
    info.update_host("h")
    assert info.set_host_code == ({"h": 308} if redirected else {})
    assert info.disable_host == ({"h"} if value == "false" else set())


@pytest.mark.parametrize("annotations, ignore", [
    ({"p": 'Header("X-Forwarded-Proto", "http")'}, True),
    ({"r": 'r: Header("X-Forwarded-Proto", "http") -> <shunt>;'}, True),
    ({"p": 'Header("X-Other", "x")', "r": ""}, False),
    ({}, False),
])
def test_a_forwarded_proto_condition_in_the_annotations_turns_redirects_off(annotations: dict[str, str],
                                                                           ignore: bool) -> None:
    info = RedirectInfo(True, 308)
    info.init_current(annotations, Log(), "p", "r")
    assert info.ignore is ignore


def test_a_bad_redirect_code_is_logged_in_gos_words() -> None:
    log = Log()
    RedirectInfo(True, 308).init_current({REDIRECT_CODE_ANNOTATION: "x1"}, log, "p", "r")
    RedirectInfo(True, 308).init_current({REDIRECT_CODE_ANNOTATION: "200"}, log, "p", "r")
    assert [(e.level, e.message) for e in log.entries] == [
        ("error", 'invalid redirect code annotation:strconv.Atoi: parsing "x1": invalid syntax'),
        ("error", "invalid redirect code annotation:200"),
    ]


def test_the_redirect_route_puts_its_weight_first_and_redirects_to_https() -> None:
    r = Draft(id="r", predicates=[Predicate("Path", ("/a",))], filters=[Filter("f")])
    rr = enable_redirect_route(r, 301)
    assert rr.id == "r_https_redirect"
    assert rr.predicates == [Predicate("Weight", (1000.0,)), Predicate("Path", ("/a",))]
    assert rr.filters == [Filter("redirectTo", (301.0, "https:"))]
    assert rr.headers == {FORWARDED_PROTO: "http"}
    assert r.predicates == [Predicate("Path", ("/a",))]  # the original is left as it was
