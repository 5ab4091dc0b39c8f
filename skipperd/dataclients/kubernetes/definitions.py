"""RouteGroups (``zalando.org/v1``) as Skipper's ``definitions`` package reads and validates them.

``parse_routegroup`` turns the raw object into typed values with Go's zero values for what is
missing; a backend's unknown type or algorithm is kept as its parse error, reported by
validation for that RouteGroup only. ``validate_routegroup`` returns Skipper's error text
(several errors joined by newlines) or None. The Ingress annotation checks of the admission
webhook and of the data client are here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skipperd.dataclients.kubernetes import gourl
from skipperd.dataclients.kubernetes import objects as o
from skipperd.dataclients.kubernetes import parsing
from skipperd.dataclients.kubernetes.model import KubeObject, go_quote
from skipperd.eskip import ParseError

SERVICE = "service"  # the RouteGroup backend type beside eskip's backend types
BACKEND_TYPES = {"": SERVICE, "service": SERVICE, "network": "network", "shunt": "shunt",
                 "loopback": "loopback", "dynamic": "dynamic", "lb": "lb", "forward": "forward"}
LB_ALGORITHMS = ("roundRobin", "random", "consistentHash", "powerOfRandomNChoices", "weightedRoundRobin",
                 "leastRequests")

FILTER_ANNOTATION = "zalando.org/skipper-filter"
PREDICATE_ANNOTATION = "zalando.org/skipper-predicate"
ROUTES_ANNOTATION = "zalando.org/skipper-routes"
BACKEND_ANNOTATION = "zalando.org/skipper-backend"
LOADBALANCER_ANNOTATION = "zalando.org/skipper-loadbalancer"


def lb_algorithm_error(name: str) -> str | None:
    """Skipper's ``loadbalancer.AlgorithmFromString``: "" means none chosen."""
    return None if name == "" or name in LB_ALGORITHMS else "unsupported algorithm"


@dataclass(slots=True)
class Backend:
    name: str
    type: str
    address: str = ""
    service_name: str = ""
    service_port: int = 0
    algorithm: str = ""
    endpoints: list[str] = field(default_factory=list)
    parse_error: str | None = None


@dataclass(slots=True)
class BackendRef:
    name: str
    weight: int


@dataclass(slots=True)
class RouteSpec:
    path: str = ""
    path_subtree: str = ""
    path_regexp: str = ""
    backends: list[BackendRef | None] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    predicates: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)

    def unique_methods(self) -> list[str]:
        return unique(self.methods)


@dataclass(slots=True)
class TLSSpec:
    hosts: list[str]
    secret_name: str


@dataclass(slots=True)
class Spec:
    hosts: list[str]
    backends: list[Backend]
    default_backends: list[BackendRef | None]
    routes: list[RouteSpec | None]
    tls: list[TLSSpec]

    def unique_hosts(self) -> list[str]:
        return unique(self.hosts)


@dataclass(slots=True)
class RouteGroup:
    meta: o.Meta | None
    spec: Spec | None


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _backend(raw: Any) -> Backend:
    t = o.string(raw, "type")
    algorithm = o.string(raw, "algorithm")
    err: str | None = None
    btype = BACKEND_TYPES.get(t)
    if btype is None:
        err = f"unsupported backend type: {t}"
        btype = ""
    if lb_algorithm_error(algorithm):
        err = "unsupported algorithm"
    return Backend(
        name=o.string(raw, "name"),
        type=btype,
        address=o.string(raw, "address"),
        service_name=o.string(raw, "serviceName"),
        service_port=o.integer(raw, "servicePort"),
        algorithm=algorithm if not lb_algorithm_error(algorithm) else "",
        endpoints=o.strings(raw, "endpoints"),
        parse_error=err,
    )


def _refs(raw: Any, key: str) -> list[BackendRef | None]:
    return [None if r is None else BackendRef(o.string(r, "backendName"), o.integer(r, "weight"))
            for r in o.items(raw, key)]


def _route(raw: Any) -> RouteSpec | None:
    if raw is None:
        return None
    return RouteSpec(
        path=o.string(raw, "path"),
        path_subtree=o.string(raw, "pathSubtree"),
        path_regexp=o.string(raw, "pathRegexp"),
        backends=_refs(raw, "backends"),
        filters=o.strings(raw, "filters"),
        predicates=o.strings(raw, "predicates"),
        methods=o.strings(raw, "methods"),
    )


def parse_routegroup(obj: KubeObject) -> RouteGroup:
    """Raises ``objects.Malformed`` where Go's JSON decoding would fail."""
    meta = o.Meta(obj) if o.opt_mapping(obj, "metadata") is not None else None
    raw = o.opt_mapping(obj, "spec")
    spec = None
    if raw is not None:
        spec = Spec(
            hosts=o.strings(raw, "hosts"),
            backends=[_backend(b) for b in o.items(raw, "backends") if b is not None],
            default_backends=_refs(raw, "defaultBackends"),
            routes=[_route(r) for r in o.items(raw, "routes")],
            tls=[TLSSpec(o.strings(t, "hosts"), o.string(t, "secretName")) for t in o.items(raw, "tls") if t is not None],
        )
    return RouteGroup(meta, spec)


class _Invalid(Exception):
    pass


def validate_routegroup(rg: RouteGroup) -> str | None:
    """Skipper's ``RouteGroupValidator.Validate`` without the advanced (registry) checks."""
    if rg.meta is None or not rg.meta.name:
        return "route group without name"
    if rg.spec is None:
        return f"error in route group {o.resource_namespace(rg.meta.namespace)}/{rg.meta.name}: route group without spec"
    try:
        _validate_spec(rg.spec)
    except _Invalid as e:
        return f"error in route group {o.resource_namespace(rg.meta.namespace)}/{rg.meta.name}: {e}"
    errs = _filter_errors(rg.spec) + _predicate_errors(rg.spec) + _backend_errors(rg.spec) + _host_errors(rg.spec)
    return "\n".join(errs) if errs else None


def _validate_spec(spec: Spec) -> None:
    if not spec.backends:
        raise _Invalid("route group without backend")
    names: set[str] = set()
    for b in spec.backends:
        if b.name in names:
            raise _Invalid(f"backends with duplicate name: {b.name}")
        names.add(b.name)
        err = _backend_error(b)
        if err:
            raise _Invalid(f"invalid backend: {b.name}, {err}")
    has_default = bool(spec.default_backends)
    _validate_refs(spec.default_backends, names)
    if not has_default and not spec.routes:
        raise _Invalid("missing backend reference")
    for i, r in enumerate(spec.routes):
        err = _route_error(r, has_default, names)
        if err:
            raise _Invalid(f"invalid route at {i}, {err}")


def _backend_error(b: Backend) -> str | None:
    if b.parse_error:
        return b.parse_error
    if not b.name:
        return "unnamed backend"
    if b.type == "network" and not b.address:
        return f"address missing in backend: {b.name}"
    if b.type == SERVICE and not b.service_name:
        return f"service name missing in backend: {b.name}"
    if b.type == SERVICE and not 0 < b.service_port < 65536:
        return f"invalid service port in backend: {b.name}, {b.service_port}"
    if b.type == "lb" and not b.endpoints:
        return f"missing LB endpoints in backend: {b.name}"
    return None


def _validate_refs(refs: list[BackendRef | None], backends: set[str]) -> None:
    seen: set[str] = set()
    for r in refs:
        name = r.name if r is not None else ""
        if name in seen:
            raise _Invalid(f"duplicate backend reference: {name}")
        seen.add(name)
        if r is None or not r.name:
            raise _Invalid("unnamed backend reference")
        if r.name not in backends:
            raise _Invalid(f"invalid backend reference: {r.name}")
        if r.weight < 0:
            raise _Invalid(f"invalid weight in backend: {r.name}, {r.weight}")


def _route_error(r: RouteSpec | None, has_default: bool, backends: set[str]) -> str | None:
    if r is None:
        return "invalid route spec"
    if not has_default and not r.backends:
        return "missing backend reference"
    try:
        _validate_refs(r.backends, backends)
    except _Invalid as e:
        return str(e)
    if r.path and r.path_subtree:
        return "path and path subtree in the same route"
    if any(m == "" for m in r.methods):
        return "invalid method"
    return None


def _filter_errors(spec: Spec) -> list[str]:
    errs = []
    for r in spec.routes:
        for f in r.filters if r else ():
            try:
                parsed = parsing.filters(f)
            except ParseError as e:
                errs.append(str(e))
                continue
            if len(parsed) != 1:
                errs.append(f"single filter expected at {go_quote(f)}")
    return errs


def _predicate_errors(spec: Spec) -> list[str]:
    errs = []
    for r in spec.routes:
        for p in r.predicates if r else ():
            try:
                parsed = [x for x in parsing.predicates(p) if x.name != "*"]
            except ParseError as e:
                errs.append(str(e))
                continue
            if len(parsed) != 1:
                errs.append(f"single predicate expected at {go_quote(p)}")
    return errs


def _backend_errors(spec: Spec) -> list[str]:
    errs = []
    for b in spec.backends:
        if b.type != "network":
            continue
        try:
            u = gourl.parse(b.address)
        except gourl.URLError as e:
            errs.append(f"failed to parse backend address {go_quote(b.address)}: {e}")
            continue
        if u.path or u.raw_query or not u.scheme or not u.host:
            errs.append(f"backend address {go_quote(b.address)} does not match scheme://host format")
    return errs


def _host_errors(spec: Spec) -> list[str]:
    errs = []
    seen: set[str] = set()
    for h in spec.hosts:
        if h in seen:
            errs.append(f"duplicate host {go_quote(h)}")
        seen.add(h)
    return errs


def validate_ingress_annotations(annotations: dict[str, str]) -> str | None:
    """Skipper's ``IngressV1Validator.Validate`` without the advanced (registry) checks."""
    errs = []
    if FILTER_ANNOTATION in annotations:
        try:
            parsing.filters(annotations[FILTER_ANNOTATION])
        except ParseError as e:
            errs.append(f"invalid {go_quote(FILTER_ANNOTATION)} annotation: {e}")
    if PREDICATE_ANNOTATION in annotations:
        try:
            parsing.predicates(annotations[PREDICATE_ANNOTATION])
        except ParseError as e:
            errs.append(f"invalid {go_quote(PREDICATE_ANNOTATION)} annotation: {e}")
    if ROUTES_ANNOTATION in annotations:
        try:
            parsing.routes(annotations[ROUTES_ANNOTATION])
        except ParseError as e:
            errs.append(f"invalid {go_quote(ROUTES_ANNOTATION)} annotation: {e}")
    if LOADBALANCER_ANNOTATION in annotations:
        err = lb_algorithm_error(annotations[LOADBALANCER_ANNOTATION])
        if err:
            errs.append(f"invalid {go_quote(LOADBALANCER_ANNOTATION)} annotation: {err}")
    return "\n".join(errs) if errs else None
