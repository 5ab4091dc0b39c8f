"""HTTPS redirect routes (Skipper's redirect.go): per object, per host, and the global one.

``RedirectInfo`` carries, across the objects of one conversion, the default (the
``-kubernetes-https-redirect`` option and its code), the current object's
``zalando.org/skipper-ingress-redirect`` and ``-redirect-code`` annotations, and which hosts got
a redirect or an explicit opt-out, for their catch-all routes.
"""

from __future__ import annotations

from skipperd.dataclients.kubernetes.logs import Log
from skipperd.dataclients.kubernetes.routes import Draft
from skipperd.eskip.route import BackendType, Filter, Predicate

REDIRECT_ANNOTATION = "zalando.org/skipper-ingress-redirect"
REDIRECT_CODE_ANNOTATION = "zalando.org/skipper-ingress-redirect-code"
FORWARDED_PROTO = "X-Forwarded-Proto"
GLOBAL_REDIRECT_ID = "kube__redirect"
_PROTO_MARK = 'Header("X-Forwarded-Proto"'


def parse_go_int(s: str) -> int | None:
    """Go's ``strconv.Atoi``: optional sign, ASCII digits, nothing else."""
    digits = s[1:] if s[:1] in ("+", "-") else s
    if not digits or not all("0" <= c <= "9" for c in digits):
        return None
    return int(s)


class RedirectInfo:
    def __init__(self, default_enabled: bool, default_code: int) -> None:
        self.default_enabled = default_enabled
        self.default_code = default_code
        self.enable = self.disable = self.ignore = False
        self.code = default_code
        self.set_host_code: dict[str, int] = {}
        self.disable_host: set[str] = set()

    def init_current(self, annotations: dict[str, str], log: Log, predicate_annotation: str,
                     routes_annotation: str) -> None:
        value = annotations.get(REDIRECT_ANNOTATION)
        self.enable = value == "true"
        self.disable = value == "false"
        self.ignore = _PROTO_MARK in annotations.get(predicate_annotation, "") or _PROTO_MARK in annotations.get(
            routes_annotation, "")
        self.code = self.default_code
        if REDIRECT_CODE_ANNOTATION in annotations:
            text = annotations[REDIRECT_CODE_ANNOTATION]
            code = parse_go_int(text)
            if code is None:
                log.error(f'invalid redirect code annotation:strconv.Atoi: parsing "{text}": invalid syntax')
            elif not 300 <= code < 400:
                log.error(f"invalid redirect code annotation:{text}")
            else:
                self.code = code

    def set_host(self, host: str) -> None:
        self.set_host_code[host] = self.code

    def set_host_disabled(self, host: str) -> None:
        self.disable_host.add(host)

    def update_host(self, host: str) -> None:
        if self.enable:
            self.set_host(host)
        elif self.disable:
            self.set_host_disabled(host)
        elif self.default_enabled:
            self.set_host(host)


def _redirect_filter(code: int) -> Filter:
    return Filter("redirectTo", (float(code), "https:"))


def init_redirect(r: Draft, code: int) -> None:
    r.headers[FORWARDED_PROTO] = "http"
    r.predicates.insert(0, Predicate("Weight", (1000.0,)))
    r.filters = [_redirect_filter(code)]
    r.set_shunt()


def init_disable_redirect(r: Draft) -> None:
    r.headers[FORWARDED_PROTO] = "http"
    r.predicates.insert(0, Predicate("Weight", (1000.0,)))


def global_redirect_route(code: int) -> Draft:
    r = Draft(id=GLOBAL_REDIRECT_ID)
    init_redirect(r, code)
    return r


def enable_redirect_route(r: Draft, code: int) -> Draft:
    rr = r.copy()
    rr.id = r.id + "_https_redirect"
    init_redirect(rr, code)
    return rr


def disable_redirect_route(r: Draft) -> Draft:
    rr = r.copy()
    rr.id = r.id + "_disable_https_redirect"
    init_disable_redirect(rr)
    return rr


def has_proto_predicate(r: Draft) -> bool:
    """Whether a RouteGroup route already decides by ``X-Forwarded-Proto`` (then it gets no redirect twin).

    RouteGroup routes are built from predicate lists, so their conditions are all in
    ``predicates`` (Skipper also looks at the legacy header fields, always empty there).
    """
    return any(p.name in ("Header", "HeaderRegexp") and p.args[:1] == (FORWARDED_PROTO,) for p in r.predicates)


def https_redirect_route(code: int, r: Draft) -> Draft:
    """A RouteGroup route's redirect twin: the same conditions plus ``X-Forwarded-Proto: http``."""
    rr = r.copy()
    rr.id = r.id + "_https_redirect"
    rr.backend_type = BackendType.SHUNT
    rr.predicates.append(Predicate("Header", (FORWARDED_PROTO, "http")))
    rr.filters = [_redirect_filter(code)]
    return rr
