"""``convert``: a cluster state to routes (Skipper's ``loadAndConvert``), whole or incrementally.

The steps, in Skipper's order: select the objects (namespace, label selectors, ingress and
RouteGroup classes), validate them (an invalid object is logged and skipped), sort them by
namespace and name, convert the Ingresses, then the RouteGroups, then add the health-check
routes and the global HTTPS redirect route; the result is unique by route id, the first route
of an id winning.

Each Ingress and RouteGroup is converted on its own (``IngressConverter.convert_one``,
``RouteGroupConverter.convert_one``) into a trace: its routes, what it logged, and which
services, endpoints and secrets it looked up with what answers. The cluster-level steps
(per-host catch-all routes and east-west range predicates, east-west routes, the global
routes, uniqueness by id) then run over the traces in object order. Given a
``ConversionCache``, ``convert`` keeps the traces and the other per-object results (validation,
parsed services, merged EndpointSlices) and reuses an object's trace while the object is the
same (identical, or equal) and every lookup it made still gets the same answer; so a change of
one object costs about that object's conversion plus a cheap pass over the cached parts, and
the routes of unchanged objects are the very same ``Route`` objects as in the last result. The
result equals a conversion without a cache: same routes, same order, same log.
"""

from __future__ import annotations

from typing import Any, Mapping

from skipperd.dataclients.kubernetes import objects as o
from skipperd.dataclients.kubernetes.common import DefaultFilters, Matcher, compile_regexp, matches
from skipperd.dataclients.kubernetes.definitions import (
    LB_ALGORITHMS,
    RouteGroup,
    parse_routegroup,
    validate_ingress_annotations,
    validate_routegroup,
)
from skipperd.dataclients.kubernetes.ingress import IngressConverter, IngressTrace
from skipperd.dataclients.kubernetes.logs import Log
from skipperd.dataclients.kubernetes.memo import Generations, ObjectMemo
from skipperd.dataclients.kubernetes.model import ClusterState, Conversion, KubeObject, KubeOptions, LogEntry
from skipperd.dataclients.kubernetes.redirect import global_redirect_route
from skipperd.dataclients.kubernetes.routegroup import GroupTrace, RouteGroupConverter
from skipperd.dataclients.kubernetes.routes import Built, Draft
from skipperd.dataclients.kubernetes.state import State, StateMemo
from skipperd.eskip import route_to_string
from skipperd.eskip.route import BackendType, Filter, Predicate, Route

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
ROUTEGROUP_CLASS_ANNOTATION = "zalando.org/routegroup.class"
HEALTHCHECK_PATH = "/kube-system/healthz"
INTERNAL_IPS = ("10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "127.0.0.1/8", "fd00::/8", "::1/128")

#: What validating a RouteGroup gave: the parsed group, or None (invalid, or of another class).
_GroupCheck = tuple[RouteGroup, o.Meta] | None


class ConversionCache:
    """What ``convert`` keeps between conversions with the same options (see the module docstring).

    Not thread-safe: one cache for one sequence of conversions. Raw objects are values: an
    object changed in place must be a new dict (the API's JSON always is), or the cache would
    take it for the old one.
    """

    def __init__(self, options: KubeOptions) -> None:
        self.reset(options)

    def reset(self, options: KubeOptions) -> None:
        """Forget everything: the next conversion (with ``options``) converts every object."""
        self.options = options
        self.ingress_class = compile_regexp(options.ingress_class or "skipper")
        self.routegroup_class = compile_regexp(options.routegroup_class or "skipper")
        self.default_filters = DefaultFilters(dict(options.default_filters))
        allowed: list[Matcher | None] = [compile_regexp(".*")]
        if options.only_allowed_external_names:
            allowed = [compile_regexp(a) for a in options.allowed_external_names]
        self.allowed = allowed
        self.default_lb = (options.default_lb_algorithm if options.default_lb_algorithm in LB_ALGORITHMS
                           else "roundRobin")
        self.ingress_checks: ObjectMemo[tuple[bool, str]] = ObjectMemo()
        self.group_checks: ObjectMemo[tuple[_GroupCheck, list[LogEntry]]] = ObjectMemo()
        self.ingresses: ObjectMemo[IngressTrace] = ObjectMemo()
        self.groups: ObjectMemo[GroupTrace] = ObjectMemo()
        self.state = StateMemo()
        self.catchalls: Generations[list[Built]] = Generations()
        self.global_routes: dict[str, list[Built]] = {}
        self.reused = self.converted = 0  # objects of the last conversion: traces reused, converted

    def commit(self) -> None:
        for m in (self.ingress_checks, self.group_checks, self.ingresses, self.groups):
            m.commit()
        self.state.commit()
        self.catchalls.commit()

    def abandon(self) -> None:
        for m in (self.ingress_checks, self.group_checks, self.ingresses, self.groups):
            m.abandon()
        self.state.abandon()
        self.catchalls.abandon()


def convert(state: ClusterState, options: KubeOptions, cache: ConversionCache | None = None) -> Conversion:
    """Every route of the cluster: Ingress routes, RouteGroup routes, then the global ones.

    With ``cache``, the results of the objects that did not change since the cache's last
    conversion are reused (a cache made for other options is reset first); the result is the
    same as without.
    """
    if cache is None:
        cache = ConversionCache(options)
    elif cache.options is not options and cache.options != options:
        cache.reset(options)
    try:
        result = _convert(state, options, cache)
    except BaseException:
        cache.abandon()
        raise
    cache.commit()
    return result


def _convert(state: ClusterState, options: KubeOptions, cache: ConversionCache) -> Conversion:
    log = Log()
    ingresses = _select(state.ingresses, options, options.ingress_label_selector)
    services = _select(state.services, options, options.services_label_selector)
    endpoints = _select(state.endpoints, options, options.endpoints_label_selector)
    slices = _select(state.endpointslices, options, options.endpointslices_label_selector)
    secrets = _select(state.secrets, options, options.secrets_label_selector) if options.enable_tls else []

    checked = []
    for i in ingresses:
        check = cache.ingress_checks.find(i)
        if check is None:
            check = (_ingress_class_matches(i, cache.ingress_class), _ingress_error(i) or "")
        cache.ingress_checks.keep(i, check)
        if check[0]:
            checked.append((i, check[1]))
    checked.sort(key=lambda t: _sort_key(t[0]))
    valid_ingresses = []
    for i, err in checked:
        if err:
            log.error(f"[ingress] {err}")
            continue
        valid_ingresses.append(i)

    groups: list[tuple[KubeObject, RouteGroup, o.Meta]] = []
    if state.routegroups_available:
        groups = _routegroups(_select(state.routegroups, options, options.routegroup_label_selector), cache, log)

    cluster = State(tuple(services), tuple(endpoints), tuple(slices), tuple(secrets), options.enable_endpointslices,
                    log, cache.state)
    reused = converted = 0
    ing = IngressConverter(options, cluster, cache.default_filters, cache.allowed)
    traces: list[IngressTrace] = []
    for obj in valid_ingresses:
        t = cache.ingresses.find(obj)
        if t is None or not cluster.replay(t.lookups):
            t = ing.convert_one(obj)
            converted += 1
        else:
            reused += 1
        cache.ingresses.keep(obj, t)
        traces.append(t)
    built = ing.assemble(traces, log, cache.catchalls)

    rgc = RouteGroupConverter(options, cluster, cache.default_filters, cache.allowed, ing.east_west_domain,
                              cache.default_lb)
    for obj, rg, meta in groups:
        g = cache.groups.find(obj)
        if g is None or not cluster.replay(g.lookups):
            g = rgc.convert_one(rg, meta)
            converted += 1
        else:
            reused += 1
        cache.groups.keep(obj, g)
        log.replay(g.log)
        built.extend(g.routes)
    if options.provide_healthcheck:
        built.extend(_global(cache, "healthcheck", lambda: healthcheck_routes(
            options.reverse_source_predicate, options.whitelisted_healthcheck_cidrs)))
    if options.https_redirect:
        built.extend(_global(cache, "redirect", lambda: [global_redirect_route(rgc.redirect_code)]))
    cache.reused, cache.converted = reused, converted
    return Conversion(routes=_unique(built, log), log=tuple(log.entries))


def _global(cache: ConversionCache, key: str, make: Any) -> list[Built]:
    got = cache.global_routes.get(key)
    if got is None:
        got = cache.global_routes[key] = [Built(d) for d in make()]
    return got


def healthcheck_routes(reverse_source: bool, whitelisted: tuple[str, ...]) -> list[Draft]:
    """``/kube-system/healthz`` from internal addresses: 200, or 503 once shutting down."""
    source = Predicate("SourceFromLast" if reverse_source else "Source", INTERNAL_IPS + tuple(whitelisted))
    path = "/kube-system/healthz"
    up = Draft(id="kube__healthz_up", path=path, predicates=[source],
               filters=[Filter("disableAccessLog", (200.0,)), Filter("status", (200.0,))])
    down = Draft(id="kube__healthz_down", path=path, predicates=[source, Predicate("Shutdown")],
                 filters=[Filter("status", (503.0,))])
    for r in (up, down):
        r.backend_type = BackendType.SHUNT
    return [up, down]


def _unique(built: list[Built], log: Log) -> tuple[Route, ...]:
    seen: dict[str, Route] = {}
    for b in built:
        r = b.route
        existing = seen.get(r.id)
        if existing is None:
            seen[r.id] = r
        elif existing is not r and existing != r:
            log.error(f"Ignoring route with the same id {r.id}, existing: {route_to_string(existing)}, "
                      f"ignored: {route_to_string(r)}")
    return tuple(seen.values())


def _labels(obj: KubeObject) -> dict[str, Any]:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def _namespace(obj: KubeObject) -> str:
    meta = obj.get("metadata")
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return ns if isinstance(ns, str) else ""


def selected(obj: KubeObject, selector: Mapping[str, str]) -> bool:
    """A label selector of ``label -> value`` pairs; an empty value asks only for the label."""
    labels = _labels(obj)
    return all(k in labels and (v == "" or labels[k] == v) for k, v in selector.items())


def _select(objs: tuple[KubeObject, ...], options: KubeOptions, selector: Mapping[str, str]) -> list[KubeObject]:
    out = []
    for obj in objs:
        if not isinstance(obj, dict):
            continue
        if options.namespace and o.resource_namespace(_namespace(obj)) != options.namespace:
            continue
        if selector and not selected(obj, selector):
            continue
        out.append(obj)
    return out


def _sort_key(obj: KubeObject) -> tuple[int, str, str]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return (0, "", "")
    ns, name = meta.get("namespace"), meta.get("name")
    return (1, ns if isinstance(ns, str) else "", name if isinstance(name, str) else "")


def _ingress_class_matches(obj: KubeObject, rx: Matcher | None) -> bool:
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        ann = meta.get("annotations")
        cls = ann.get(INGRESS_CLASS_ANNOTATION) if isinstance(ann, dict) else None
        if isinstance(cls, str) and cls and not matches(rx, cls):
            return False
    spec = obj.get("spec")
    name = spec.get("ingressClassName") if isinstance(spec, dict) else None
    return not isinstance(name, str) or name == "" or matches(rx, name)


def _ingress_error(obj: KubeObject) -> str | None:
    if not isinstance(obj.get("metadata"), dict):
        return None
    try:
        annotations = o.Meta(obj).annotations
    except o.Malformed as e:
        return f"invalid metadata: {e}"
    return validate_ingress_annotations(annotations)


def _routegroups(objs: list[KubeObject], cache: ConversionCache,
                 log: Log) -> list[tuple[KubeObject, RouteGroup, o.Meta]]:
    out: list[tuple[KubeObject, RouteGroup, o.Meta]] = []
    for obj in objs:
        got = cache.group_checks.find(obj)
        if got is None:
            got = _check_routegroup(obj, cache.routegroup_class)
        cache.group_checks.keep(obj, got)
        check, entries = got
        for e in entries:
            log.emit(e)
        if isinstance(check, tuple):
            out.append((obj, check[0], check[1]))
    out.sort(key=lambda t: _sort_key(t[0]))
    return out


def _check_routegroup(obj: KubeObject, rx: Matcher | None) -> tuple[_GroupCheck, list[LogEntry]]:
    """A RouteGroup parsed and validated, or why not (as the log lines to write), or None when
    it belongs to another class."""
    try:
        rg = parse_routegroup(obj)
    except o.Malformed as e:
        return None, [LogEntry("error", f"[routegroup] invalid route group: {e}")]
    err = validate_routegroup(rg)
    if err:
        return None, [LogEntry("error", f"[routegroup] {err}")]
    assert rg.meta is not None
    cls = rg.meta.annotations.get(ROUTEGROUP_CLASS_ANNOTATION, "")
    if cls and not matches(rx, cls):
        return None, []
    return (rg, rg.meta), []
