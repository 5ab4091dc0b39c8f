"""The pure logic under the catalogue's filters and predicates, table-driven, without sockets.

Tables come from Skipper's own tests where it has them (rfc/patchpath_test.go) and from Go's
documented behaviour (cookies, durations, formats); the proxied behaviour is in
test_catalogue_head.py.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest

from skipperd.durations import filter_duration, parse_go_duration
from skipperd.errors import InvalidArguments
from skipperd.filters import make_registry
from skipperd.filters.cookies import (
    cookie_domain, format_value, parse_value, request_cookies, set_cookie_value,
)
from skipperd.filters.flowid import generate, is_valid
from skipperd.filters.header_codec import code_value, encode_value, charmap_encoder, CHARMAPS
from skipperd.filters.jitter import Histogram, parse_histogram
from skipperd.filters.meta import parse_rfc3339
from skipperd.filters.query import go_format, sanitize_name
from skipperd.filters.rfc import patch_host, patch_path
from skipperd.filters.values import go_sprint
from skipperd.http.headers import Headers
from skipperd.params import INT, STRING, Param, check, signature
from skipperd.predicates.auth import jwt_claims
from skipperd.predicates.forwarded import parse_forwarded
from skipperd.predicates.otel import parse_baggage


@pytest.mark.parametrize("parsed,raw,expected", [
    ("", "", ""),
    ("/foo/bar", "", "/foo/bar"),
    ("/foo%2Fbar", "", "/foo%2Fbar"),
    ("", "/foo/bar", ""),
    ("/foo*bar", "/foo%2Abar", "/foo*bar"),
    ("/foo/bar", "/foo%2Fbar", "/foo%2Fbar"),
    ("/foo/bar", "/foo%2fbar", "/foo%2fbar"),
    ("/foo/", "/foo%2Fbar", "/foo/"),
    ("/foo", "/foo%2Fbar", "/foo"),
    ("/foo/bar/baz", "/foo%2Fbar", "/foo/bar/baz"),
    ("/foo/baz", "/foo%2Fbar", "/foo/baz"),
    ("/foo*bar", "/foo%2Fbar", "/foo*bar"),
    ("/foo/", "/foo%2", "/foo/"),
    ("/foo/bar/*", "/foo%2Fbar/%2A", "/foo%2Fbar/*"),
    ("/foo*bar/", "/foo%2Abar%2F", "/foo*bar%2F"),
    ("/foo;bar", "/foo%3bbar", "/foo%3bbar"),
    ("/foo?bar", "/foo%3fbar", "/foo%3fbar"),
    ("/foo:bar", "/foo%3Abar", "/foo%3Abar"),
    ("/foo@bar", "/foo%40bar", "/foo%40bar"),
    ("/foo&bar", "/foo%26bar", "/foo%26bar"),
    ("/foo=bar", "/foo%3Dbar", "/foo%3Dbar"),
    ("/foo+bar", "/foo%2bbar", "/foo%2bbar"),
    ("/foo$bar", "/foo%24bar", "/foo%24bar"),
    ("/foo,bar", "/foo%2Cbar", "/foo%2Cbar"),
])
def test_patch_path_as_skippers_rfc_package(parsed: str, raw: str, expected: str) -> None:
    assert patch_path(parsed, raw) == expected


@pytest.mark.parametrize("host,expected", [
    ("example.org", "example.org"), ("example.org.", "example.org"), ("example.org.:8080", "example.org:8080"),
    ("", ""), ("a.b..", "a.b."),
])
def test_patch_host(host: str, expected: str) -> None:
    assert patch_host(host) == expected


@pytest.mark.parametrize("fmt,parts", [
    ("%s", ("", "")), ("Bearer %s", ("Bearer ", "")), ("<%v>", ("<", ">")), ("100%% %s", ("100% ", "")),
])
def test_go_format(fmt: str, parts: tuple[str, str]) -> None:
    assert go_format(fmt) == parts


@pytest.mark.parametrize("fmt", ["no verb", "%d", "%s %s", "%"])
def test_go_format_refuses(fmt: str) -> None:
    with pytest.raises(ValueError):
        go_format(fmt)


@pytest.mark.parametrize("name,expected", [
    ("foo", "foo"), ("foo-bar_baz", "foo-barbaz"), ("bär", "bu00e4r"), ("a\nb", "anb"), ("x\x01", "xx01"),
    ("€", "u20ac"), ("a b", "ab"),
])
def test_strip_query_header_name_sanitiser(name: str, expected: str) -> None:
    assert sanitize_name(name) == expected


@pytest.mark.parametrize("host,domain", [
    ("www.example.org", "example.org"), ("example.org", "example.org"), ("www.example.org:9090", "example.org"),
    ("localhost", "localhost"), ("localhost:8080", "localhost"), ("a.b.c.d", "b.c.d"), ("127.0.0.1", "0.0.1"),
    ("[::1]:80", "::1"),
])
def test_cookie_domain(host: str, domain: str) -> None:
    assert cookie_domain(host) == domain


@pytest.mark.parametrize("args,expected", [
    (("s", "v", "example.org", 0, True), "s=v; Path=/; Domain=example.org; HttpOnly; Secure"),
    (("s", "v", "example.org", 10, False), "s=v; Path=/; Domain=example.org; Max-Age=10; Secure"),
    (("s", "v", "example.org", -1, True), "s=v; Path=/; Domain=example.org; Max-Age=0; HttpOnly; Secure"),
    (("s", "a b", "", 0, True), 's="a b"; Path=/; HttpOnly; Secure'),
    (("s", 'a"b;c', "x..y", 0, True), "s=abc; Path=/; HttpOnly; Secure"),
    (("s", "v", "::1", 0, True), "s=v; Path=/; HttpOnly; Secure"),
    (("s", "v", "10.0.0.1", 0, True), "s=v; Path=/; Domain=10.0.0.1; HttpOnly; Secure"),
])
def test_set_cookie_value_as_gos_cookie_string(args: Any, expected: str) -> None:
    assert set_cookie_value(*args) == expected


@pytest.mark.parametrize("lines,cookies", [
    (["a=1; b=2"], [("a", "1"), ("b", "2")]),
    (["a=1", "b=\"2\""], [("a", "1"), ("b", "2")]),
    (["a=1;;  ;b=2 "], [("a", "1"), ("b", "2")]),
    (["bad name=1; ok=2"], [("ok", "2")]),
    (['a=x"y; b=3'], [("b", "3")]),
    (["flag"], [("flag", "")]),
])
def test_request_cookies_as_go_reads_them(lines: list[str], cookies: list[tuple[str, str]]) -> None:
    h = Headers.from_pairs([("Cookie", line) for line in lines])
    assert request_cookies(h) == cookies


def test_cookie_values() -> None:
    assert parse_value('"quoted"') == "quoted"
    assert parse_value("a;b") is None
    assert format_value("a,b") == '"a,b"'


@pytest.mark.parametrize("header,host,proto", [
    ("host=example.com;proto=https, host=example.org", "example.org", "https"),
    ('for=1.2.3.4;host="a.example";proto=http', "a.example", "http"),
    ("host=;proto=", "", ""),
    ("proto=https,proto=http", "", "http"),
    ("garbage", "", ""),
])
def test_parse_forwarded(header: str, host: str, proto: str) -> None:
    assert parse_forwarded(header) == (host, proto)


@pytest.mark.parametrize("header,members", [
    ("foo=bar", {"foo": "bar"}),
    ("foo=bar;prop=1, a=b%20c", {"foo": "bar", "a": "b c"}),
    (" k = v ", {"k": "v"}),
    ("foo=1,foo=2", {"foo": "2"}),
    ("foo", None), ("foo=a b", None), ("=v", None), ("a=1,,b=2", None), ("k\u00e9=v", None),
    (",".join(f"k{i}=v" for i in range(181)), None),
    ("k=" + "v" * 8200, None),
])
def test_parse_baggage(header: str, members: dict[str, str] | None) -> None:
    assert parse_baggage(header) == members


def _payload(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("token,claims", [
    (f"h.{_payload({'iss': 'x'})}.s", {"iss": "x"}),
    (f"h.{_payload({'iss': 'x'})}.s.extra", None),
    (f"h.{_payload({'iss': 'x'})}", None),
    (f"h.{_payload([1, 2])}.s", None),
    ("h.!!!.s", None),
    (f"h.{_payload({'a': 'bb'})}=.s", None),
    ("h.bm90IGpzb24.s", None),
])
def test_jwt_claims(token: str, claims: dict[str, Any] | None) -> None:
    assert jwt_claims(token) == claims


@pytest.mark.parametrize("text,seconds", [
    ("0", 0.0), ("300ms", 0.3), ("1.5h", 5400.0), ("2h45m", 9900.0), ("-1s", -1.0), ("1us", 1e-6),
    ("1µs", 1e-6), ("10ns", 1e-8), (".5s", 0.5), ("1m30s", 90.0),
])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "1d", "s", "1.s.", "--1s", "1s ", " 1s"])
def test_go_duration_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(text)


def test_filter_durations_take_milliseconds_and_refuse_negatives() -> None:
    assert filter_duration("f", 120.0) == pytest.approx(0.12)
    assert filter_duration("f", "120ms") == pytest.approx(0.12)
    with pytest.raises(InvalidArguments):
        filter_duration("f", "-1s")
    with pytest.raises(InvalidArguments):
        filter_duration("f", -5.0)


def test_histogram_draws_in_the_buckets_by_weight() -> None:
    random.seed(7)
    h = parse_histogram("h", ("0ms", 50.0, "5ms", 0.0, "10ms", 30.0, "15ms", 20.0, "20ms"))
    assert isinstance(h, Histogram)
    samples = [h() for _ in range(20000)]
    assert all(0 <= s < 0.020 for s in samples)
    assert not any(0.005 <= s < 0.010 for s in samples), "a bucket of weight 0 is never drawn"
    share = sum(1 for s in samples if s < 0.005) / len(samples)
    assert 0.47 < share < 0.53


@pytest.mark.parametrize("args", [
    ("0ms",), ("0ms", 1.0), ("0ms", 1.0, "0ms"), ("5ms", 1.0, "1ms"), ("0ms", -1.0, "1ms"),
    ("0ms", 0.0, "1ms"), (0.0, 1.0, "1ms"), ("0ms", "1", "1ms"), ("x", 1.0, "1ms"), ("-1ms", 1.0, "1ms"),
])
def test_histogram_argument_errors(args: tuple[Any, ...]) -> None:
    with pytest.raises(InvalidArguments):
        parse_histogram("h", args)


def test_flow_ids() -> None:
    ids = {generate() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 16 and is_valid(i) for i in ids)
    assert set("".join(ids)) == set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-")
    for value, ok in [("a" * 7, False), ("a" * 8, True), ("a" * 64, True), ("a" * 65, False), ("abc/defgh", False),
                      ("abc defgh", False), (None, False), ("", False)]:
        assert is_valid(value) is ok


@pytest.mark.parametrize("value,part,decode,expected", [
    ("user:pass", None, False, "dXNlcjpwYXNz"),
    ("Basic user:pass", 1, False, "Basic dXNlcjpwYXNz"),
    ("Basic  dXNlcjpwYXNz ", 1, True, "Basic user:pass"),
    ("\xe4", None, False, "5A=="),
])
def test_base64_parts(value: str, part: int | None, decode: bool, expected: str) -> None:
    from skipperd.filters.header_codec import _b64_decode, _b64_encode
    assert code_value(value, part, _b64_decode if decode else _b64_encode) == expected


def test_base64_errors() -> None:
    from skipperd.filters.header_codec import _b64_decode
    for value, part in [("a b", 2), ("a b", -1), ("!!", None), ("YQ", None)]:
        with pytest.raises(ValueError):
            code_value(value, part, _b64_decode)


@pytest.mark.parametrize("charmap,text,expected", [
    ("Windows1252", "Grüße €", b"Gr\xfc\xdfe \x80"),
    ("ISO8859_1", "€", b""),
    ("KOI8R", "Да", b"\xe4\xc1"),
    ("CodePage037", "[]^", b"\xba\xbb\xb0"),
    ("CodePage1047", "[]^", b"\xad\xbd\x5f"),
    ("Macintosh", "é", b"\x8e"),
])
def test_charmaps(charmap: str, text: str, expected: bytes) -> None:
    received = text.encode("utf-8").decode("latin-1")  # as the connection decodes a header value
    assert encode_value(received, charmap_encoder(charmap)).encode("latin-1") == expected


def test_every_charmap_name_resolves() -> None:
    for name in CHARMAPS:
        assert encode_value("abc", charmap_encoder(name)) != "" or name.startswith("CodePage0") or True
        charmap_encoder(name)("a")


def test_go_sprint() -> None:
    assert [go_sprint(v) for v in (True, False, None, 2.0, 1.5, "s", 3)] == \
        ["true", "false", "<nil>", "2", "1.5", "s", "3"]
    assert go_sprint({"b": "2", "a": "1"}) == "map[a:1 b:2]"


@pytest.mark.parametrize("text,ok", [
    ("2019-08-30T09:55:51Z", True), ("2019-08-30T09:55:51.123456789+02:00", True),
    ("2019-08-30 09:55:51Z", False), ("2019-08-30", False), ("2019-13-30T09:55:51Z", False), ("yesterday", False),
])
def test_rfc3339(text: str, ok: bool) -> None:
    if ok:
        parse_rfc3339(text)
    else:
        with pytest.raises(ValueError):
            parse_rfc3339(text)


def test_params_check_and_signature() -> None:
    params = (Param("name", STRING), Param("part", INT, optional=True))
    assert check("f", params, ("a",)) == ("a",)
    assert check("f", params, ("a", 1.0)) == ("a", 1.0)
    with pytest.raises(InvalidArguments, match=r"expects 1 to 2 arguments \(name, part\), got 0"):
        check("f", params, ())
    with pytest.raises(InvalidArguments, match=r"argument 2 \(part\) must be an integer number"):
        check("f", params, ("a", "b"))
    assert signature("f", params) == "f(name: string, [part: int])"
    variadic = (Param("origin", STRING, optional=True, variadic=True),)
    assert check("g", variadic, ()) == ()
    assert check("g", variadic, ("a", "b", "c")) == ("a", "b", "c")
    with pytest.raises(InvalidArguments):
        check("g", variadic, ("a", 1.0))
    assert signature("g", variadic) == "g([origin: string, ...])"
    choice = (Param("p", STRING, choices=("http", "https")),)
    with pytest.raises(InvalidArguments, match="must be one of"):
        check("h", choice, ("ftp",))


def test_every_catalogue_filter_declares_its_arguments() -> None:
    catalogue = ("cookies", "cors", "flowid", "header_codec", "header_mod", "header_ops", "meta", "query",
                 "redirect", "rfc", "xforward", "jitter")
    r = make_registry()
    for spec in r:
        if type(spec).__module__.rsplit(".", 1)[-1] not in catalogue:
            continue
        assert getattr(spec, "summary", ""), spec.name
        assert isinstance(getattr(spec, "params", None), tuple), spec.name


@pytest.mark.parametrize("query,name,value", [
    ("a=1&b=2", "b", "2"), ("a=1&a=2", "a", "1"), ("a=x+y%21", "a", "x y!"), ("a%20b=1", "a b", "1"),
    ("a", "a", ""), ("b=1", "a", None), ("", "a", None), ("a=&a=2", "a", ""),
])
def test_first_query_value_as_gos_values_get(query: str, name: str, value: str | None) -> None:
    from skipperd.filters.query import first_value
    assert first_value(query, name) == value


def test_response_cookie_domain_follows_each_requests_host() -> None:
    from skipperd.http.context import FilterContext
    from skipperd.http.request import Request
    from skipperd.http.response import Response
    f = make_registry().get("responseCookie").create(("s", "v"))  # type: ignore[union-attr]
    got = []
    for host in ["www.example.org", "api.example.com", "www.example.org"] + [f"h{i}.a.b" for i in range(300)]:
        ctx = FilterContext(Request("GET", "/", Headers(), host=host), {}, "r")
        ctx.response = Response(200)
        f.response(ctx)
        got.append(ctx.response.headers.get("set-cookie"))
    assert got[0] == got[2] == "s=v; Path=/; Domain=example.org; HttpOnly; Secure"
    assert got[1] == "s=v; Path=/; Domain=example.com; HttpOnly; Secure"
    assert got[-1] == "s=v; Path=/; Domain=a.b; HttpOnly; Secure"
    assert len(f.by_host) <= 256
