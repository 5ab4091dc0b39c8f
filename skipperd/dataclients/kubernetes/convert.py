"""``convert``: one full conversion of a cluster state (Skipper's ``loadAndConvert``).

The steps, in Skipper's order: select the objects (namespace, label selectors, ingress and
RouteGroup classes), validate them (an invalid object is logged and skipped), sort them by
namespace and name, convert the Ingresses, then the RouteGroups, then add the health-check
routes and the global HTTPS redirect route; the result is unique by route id, the first route
of an id winning.
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
from skipperd.dataclients.kubernetes.ingress import IngressConverter
from skipperd.dataclients.kubernetes.logs import Log
from skipperd.dataclients.kubernetes.model import ClusterState, Conversion, KubeObject, KubeOptions
from skipperd.dataclients.kubernetes.redirect import global_redirect_route
from skipperd.dataclients.kubernetes.routegroup import RouteGroupConverter
from skipperd.dataclients.kubernetes.routes import Draft
from skipperd.dataclients.kubernetes.state import State
from skipperd.eskip import route_to_string
from skipperd.eskip.route import BackendType, Filter, Predicate, Route

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
ROUTEGROUP_CLASS_ANNOTATION = "zalando.org/routegroup.class"
HEALTHCHECK_PATH = "/kube-system/healthz"
INTERNAL_IPS = ("10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "127.0.0.1/8", "fd00::/8", "::1/128")


def convert(state: ClusterState, options: KubeOptions) -> Conversion:
    """Every route of the cluster: Ingress routes, RouteGroup routes, then the global ones."""
    log = Log()
    ingresses = _select(state.ingresses, options, options.ingress_label_selector)
    services = _select(state.services, options, options.services_label_selector)
    endpoints = _select(state.endpoints, options, options.endpoints_label_selector)
    slices = _select(state.endpointslices, options, options.endpointslices_label_selector)
    secrets = _select(state.secrets, options, options.secrets_label_selector) if options.enable_tls else []

    ingress_class = compile_regexp(options.ingress_class or "skipper")
    ingresses = _sorted([i for i in ingresses if _ingress_class_matches(i, ingress_class)])
    valid_ingresses = []
    for i in ingresses:
        err = _ingress_error(i)
        if err:
            log.error(f"[ingress] {err}")
            continue
        valid_ingresses.append(i)

    groups: list[tuple[RouteGroup, o.Meta]] = []
    if state.routegroups_available:
        groups = _routegroups(_select(state.routegroups, options, options.routegroup_label_selector), options, log)

    cluster = State(tuple(services), tuple(endpoints), tuple(slices), tuple(secrets), options.enable_endpointslices,
                    log)
    defaults = DefaultFilters(dict(options.default_filters))
    allowed: list[Matcher | None] = [compile_regexp(".*")]
    if options.only_allowed_external_names:
        allowed = [compile_regexp(a) for a in options.allowed_external_names]
    default_lb = options.default_lb_algorithm if options.default_lb_algorithm in LB_ALGORITHMS else "roundRobin"

    ing = IngressConverter(options, cluster, defaults, log, allowed)
    drafts = ing.convert(valid_ingresses)
    rgc = RouteGroupConverter(options, cluster, defaults, log, allowed, ing.east_west_domain, default_lb)
    drafts.extend(rgc.convert(groups))
    if options.provide_healthcheck:
        drafts.extend(healthcheck_routes(options.reverse_source_predicate, options.whitelisted_healthcheck_cidrs))
    if options.https_redirect:
        drafts.append(global_redirect_route(rgc.redirect_code))
    return Conversion(routes=_unique(drafts, log), log=tuple(log.entries))


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


def _unique(drafts: list[Draft], log: Log) -> tuple[Route, ...]:
    seen: dict[str, Route] = {}
    for d in drafts:
        r = d.freeze()
        existing = seen.get(r.id)
        if existing is None:
            seen[r.id] = r
        elif existing != r:
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


def _sorted(objs: list[KubeObject]) -> list[KubeObject]:
    return sorted(objs, key=_sort_key)


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


def _routegroups(objs: list[KubeObject], options: KubeOptions, log: Log) -> list[tuple[RouteGroup, o.Meta]]:
    rx = compile_regexp(options.routegroup_class or "skipper")
    out: list[tuple[KubeObject, RouteGroup, o.Meta]] = []
    for obj in objs:
        try:
            rg = parse_routegroup(obj)
        except o.Malformed as e:
            log.error(f"[routegroup] invalid route group: {e}")
            continue
        err = validate_routegroup(rg)
        if err:
            log.error(f"[routegroup] {err}")
            continue
        assert rg.meta is not None
        cls = rg.meta.annotations.get(ROUTEGROUP_CLASS_ANNOTATION, "")
        if cls and not matches(rx, cls):
            continue
        out.append((obj, rg, rg.meta))
    out.sort(key=lambda t: _sort_key(t[0]))
    return [(rg, meta) for _, rg, meta in out]
