"""Pieces that Ingress and RouteGroup conversion share: annotations, default filters, regexps."""

from __future__ import annotations

from typing import Protocol

from skipperd.dataclients.kubernetes import parsing
from skipperd.dataclients.kubernetes.model import AnnotationFilters, AnnotationPredicates
from skipperd.dataclients.kubernetes.routes import Draft
from skipperd.errors import InvalidArguments
from skipperd.eskip import ParseError
from skipperd.eskip.route import Filter
from skipperd.regexp import compile_re2

TRAFFIC_ZONE_AWARE_ANNOTATION = "zalando.org/traffic-zone-aware"
BACKEND_PROTOCOL_ANNOTATION = "zalando.org/skipper-backend-protocol"


class Matcher(Protocol):
    def matches(self, text: str) -> bool: ...


def compile_regexp(rx: str) -> Matcher | None:
    """A Go RE2 regexp for unanchored matching; None when it does not compile."""
    try:
        return compile_re2("kubernetes", rx)
    except InvalidArguments:
        return None


def matches(rx: Matcher | None, text: str) -> bool:
    return rx is not None and rx.matches(text)


def append_annotation_predicates(rules: tuple[AnnotationPredicates, ...], annotations: dict[str, str],
                                 r: Draft) -> None:
    for rule in rules:
        if rule.key in annotations and annotations[rule.key] == rule.value:
            r.predicates.extend(rule.predicates)


def append_annotation_filters(rules: tuple[AnnotationFilters, ...], annotations: dict[str, str], r: Draft) -> None:
    for rule in rules:
        if rule.key in annotations and annotations[rule.key] == rule.value:
            r.filters.extend(rule.filters)


def prepend_application_annotation(labels: dict[str, str], label_key: str, r: Draft) -> None:
    if label_key and labels.get(label_key):
        r.filters.insert(0, Filter("annotate", ("Application", labels[label_key])))


def zone_awareness_filter(annotations: dict[str, str]) -> Filter | None:
    if annotations.get(TRAFFIC_ZONE_AWARE_ANNOTATION) == "false":
        return Filter("annotate", (TRAFFIC_ZONE_AWARE_ANNOTATION, "false"))
    return None


def shunt_no_endpoints(r: Draft) -> None:
    """A route whose service has no endpoints answers 502 (zalando/skipper#1525)."""
    r.filters = [Filter("status", (502.0,)), Filter("inlineContent", ("no endpoints",))]
    r.set_shunt()


class DefaultFilters:
    """The ``-default-filters-dir`` chains by ``"<service>.<namespace>"``, each parsed once."""

    def __init__(self, texts: dict[str, str]) -> None:
        self._texts = texts
        self._parsed: dict[str, list[Filter] | str] = {}

    def get(self, namespace: str, service: str) -> list[Filter]:
        """The chain for a service (a copy), [] when none; raises ValueError with Skipper's text."""
        key = f"{service}.{namespace}"
        if key not in self._texts:
            return []
        if key not in self._parsed:
            try:
                self._parsed[key] = list(parsing.filters(self._texts[key]))
            except ParseError as e:
                self._parsed[key] = f"[eskip] default filters: {e}"
        got = self._parsed[key]
        if isinstance(got, str):
            raise ValueError(got)
        return list(got)


def is_east_west_host(host: str, domains: tuple[str, ...]) -> bool:
    return any(host.endswith(d) for d in domains)


def external_allowed(allowed: list[Matcher | None], domain: str) -> bool:
    return any(matches(a, domain) for a in allowed)
