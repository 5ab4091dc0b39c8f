"""Ingresses (``networking.k8s.io/v1``) to routes, as Skipper's ingress.go and ingressv1.go.

Per Ingress: the default backend becomes a route without host; each rule path becomes a route
for its host (Host regexp, path by pathType and path mode, traffic weights), preceded by the
routes of the ``zalando.org/skipper-routes`` annotation and followed, where configured, by its
HTTPS redirect and east-west twins. Per host, after all Ingresses: the east-west-range
predicates and, unless some route already catches everything, a catch-all route that answers
404.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from skipperd.dataclients.kubernetes import objects as o
from skipperd.dataclients.kubernetes import parsing
from skipperd.dataclients.kubernetes import redirect as rd
from skipperd.dataclients.kubernetes import traffic
from skipperd.dataclients.kubernetes.common import (
    BACKEND_PROTOCOL_ANNOTATION,
    TRAFFIC_ZONE_AWARE_ANNOTATION,
    DefaultFilters,
    Matcher,
    append_annotation_filters,
    append_annotation_predicates,
    external_allowed,
    is_east_west_host,
    prepend_application_annotation,
    shunt_no_endpoints,
    zone_awareness_filter,
)
from skipperd.dataclients.kubernetes.definitions import (
    BACKEND_ANNOTATION,
    FILTER_ANNOTATION,
    LOADBALANCER_ANNOTATION,
    PREDICATE_ANNOTATION,
    ROUTES_ANNOTATION,
)
from skipperd.dataclients.kubernetes.logs import Log, LogOp, ObjectLog, TraceLog
from skipperd.dataclients.kubernetes.memo import Generations
from skipperd.dataclients.kubernetes.model import KubeObject, KubeOptions
from skipperd.dataclients.kubernetes.routes import (
    Built,
    Draft,
    draft_from_route,
    host_rx,
    lb_endpoints,
    non_word_to_underscore,
)
from skipperd.dataclients.kubernetes.state import Lookup, ServiceNotFound, ServicePort, State
from skipperd.eskip import ParseError
from skipperd.eskip.route import BackendType, Filter, Predicate

BACKEND_WEIGHTS_ANNOTATION = "zalando.org/backend-weights"
RATELIMIT_ANNOTATION = "zalando.org/ratelimit"
PATH_MODE_ANNOTATION = "zalando.org/skipper-ingress-path-mode"
PATH_MODES = ("kubernetes-ingress", "path-regexp", "path-prefix")
_BACKEND_TYPES = {"": BackendType.NETWORK, "network": BackendType.NETWORK, "shunt": BackendType.SHUNT,
                  "loopback": BackendType.LOOPBACK, "dynamic": BackendType.DYNAMIC, "lb": BackendType.LB,
                  "forward": BackendType.FORWARD}


class _NotEnabledExternalName(Exception):
    def __init__(self) -> None:
        super().__init__("ingress is not enabled to reference external name service")


class _NotAllowedExternalName(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"ingress with not allowed external name service: {name}")


# --- the Ingress object, with Go's zero values -------------------------------------------------

@dataclass(frozen=True, slots=True)
class ServiceRef:
    name: str
    port_name: str
    port_number: int

    @property
    def port(self) -> str:
        return str(self.port_number) if self.port_number != 0 else self.port_name


@dataclass(frozen=True, slots=True)
class PathRule:
    path: str
    path_type: str
    backend: ServiceRef | None


@dataclass(frozen=True, slots=True)
class Rule:
    host: str
    paths: tuple[PathRule, ...] | None  # None: no http section


@dataclass(frozen=True, slots=True)
class IngressTLS:
    hosts: tuple[str, ...]
    secret_name: str


@dataclass(frozen=True, slots=True)
class IngressSpec:
    default_backend: ServiceRef | None
    class_name: str
    rules: tuple[Rule, ...]
    tls: tuple[IngressTLS, ...]


def _service_ref(raw: dict[str, Any] | None) -> ServiceRef | None:
    if raw is None:
        return None
    svc = o.mapping(raw, "service")
    port = o.mapping(svc, "port")
    return ServiceRef(o.string(svc, "name"), o.string(port, "name"), o.integer(port, "number"))


def parse_spec(obj: KubeObject) -> IngressSpec | None:
    raw = o.opt_mapping(obj, "spec")
    if raw is None:
        return None
    rules = []
    for r in o.items(raw, "rules"):
        http = o.opt_mapping(r, "http")
        paths = None
        if http is not None:
            paths = tuple(
                PathRule(o.string(p, "path"), o.string(p, "pathType"), _service_ref(o.opt_mapping(p, "backend")))
                for p in o.items(http, "paths")
            )
        rules.append(Rule(o.string(r, "host"), paths))
    tls = tuple(IngressTLS(tuple(o.strings(t, "hosts")), o.string(t, "secretName")) for t in o.items(raw, "tls"))
    return IngressSpec(_service_ref(o.opt_mapping(raw, "defaultBackend")), o.string(raw, "ingressClassName"),
                       tuple(rules), tls)


# --- ids and paths ----------------------------------------------------------------------------

def route_id(namespace: str, name: str, host: str, path: str, backend: str) -> str:
    w = non_word_to_underscore
    return f"kube_{w(namespace)}__{w(name)}__{w(host)}__{w(path)}__{w(backend)}"


def _set_path_old(mode: str, r: Draft, p: str) -> None:
    if mode == "path-prefix":
        r.predicates.append(Predicate("PathSubtree", (p,)))
    elif mode == "path-regexp":
        r.path_regexps = [p]
    elif p == "/":
        r.path_regexps = ["^/"]
    else:
        r.path_regexps = ["^(" + p + ")"]


def set_path(mode: str, r: Draft, path_type: str, path: str) -> None:
    if not path:
        return
    if path_type == "Exact":
        r.predicates.append(Predicate("Path", (path,)))
    elif path_type == "Prefix":
        r.predicates.append(Predicate("PathSubtree", (path,)))
    else:
        _set_path_old(mode, r, path)


def _count_path_predicates(r: Draft) -> int:
    return sum(1 for p in r.predicates if p.name in ("Path", "PathSubtree")) + (1 if r.path else 0)


def _has_catchall(routes: list[Built]) -> bool:
    return any(not b.draft.path_regexps or "^/" in b.draft.path_regexps for b in routes)


def _catchall_routes(host: str, host_regexps: tuple[str, ...], redirect_code: int | None,
                     no_redirect: bool) -> list[Draft]:
    """A host's catch-all route (404), with its HTTPS redirect or opt-out twin as the host has one."""
    catchall = Draft(id=route_id("", "catchall", host, "", ""), host_regexps=list(host_regexps))
    out = [catchall]
    if redirect_code is not None:
        out.append(rd.enable_redirect_route(catchall, redirect_code))
    if no_redirect:
        out.append(rd.disable_redirect_route(catchall))
    return out


def _service_backend_url(name: str, namespace: str, sp: ServicePort) -> str:
    scheme = "https" if sp.target_port == 443 else "http"
    return f"{scheme}://{name}.{namespace}.svc.cluster.local:{o.port_string(sp.target_port)}"


def _service_port(ports: tuple[ServicePort, ...], port: str) -> ServicePort | None:
    for sp in ports:
        if port != "" and (str(sp.port) == port or sp.name == port) and sp.target_port is not None:
            return sp
    return None


# --- the conversion ---------------------------------------------------------------------------

class _Context:
    """One Ingress being converted (Skipper's ``ingressContext``)."""

    def __init__(self, obj: KubeObject, meta: o.Meta, spec: IngressSpec, conv: IngressConverter,
                 logger: ObjectLog) -> None:
        self.meta = meta
        self.spec = spec
        self.logger = logger
        ann = meta.annotations
        self.annotation_filters = self._annotation_filters(ann)
        self.annotation_predicate = ann.get(PREDICATE_ANNOTATION, "")
        self.annotation_backend = _BACKEND_TYPES.get(ann[BACKEND_ANNOTATION]) if BACKEND_ANNOTATION in ann else None
        self.extra_routes: list[Draft] = []
        if ann.get(ROUTES_ANNOTATION, ""):
            try:
                self.extra_routes = [draft_from_route(r) for r in parsing.routes(ann[ROUTES_ANNOTATION])]
            except ParseError:
                pass  # reported by validation
        self.backend_weights = self._backend_weights(ann)
        self.path_mode = conv.options.path_mode
        if PATH_MODE_ANNOTATION in ann:
            if ann[PATH_MODE_ANNOTATION] in PATH_MODES:
                self.path_mode = ann[PATH_MODE_ANNOTATION]
            else:
                logger.error(f"Failed to get path mode: invalid path mode string: {ann[PATH_MODE_ANNOTATION]}")
        self.zone_aware = ann.get(TRAFFIC_ZONE_AWARE_ANNOTATION) != "false"

    def _annotation_filters(self, ann: dict[str, str]) -> list[Filter]:
        text = ann.get(RATELIMIT_ANNOTATION, "")
        if FILTER_ANNOTATION in ann:
            if text:
                text += " -> "
            text += ann[FILTER_ANNOTATION]
        if not text:
            return []
        try:
            return list(parsing.filters(text))
        except ParseError as e:
            self.logger.error(f"Cannot parse annotation filters: {e}")
            return []

    def _backend_weights(self, ann: dict[str, str]) -> dict[str, float]:
        if BACKEND_WEIGHTS_ANNOTATION not in ann:
            return {}
        try:
            raw = json.loads(ann[BACKEND_WEIGHTS_ANNOTATION])
            if not isinstance(raw, dict) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw.values()):
                raise ValueError("json: cannot unmarshal into Go value of type map[string]float64")
            return {str(k): float(v) for k, v in raw.items()}
        except ValueError as e:
            self.logger.error(f"Error while parsing backend-weights annotation: {e}")
            return {}

    def forward(self, r: Draft, forward_url: str) -> None:
        """``zalando.org/skipper-backend: forward`` with ``-kubernetes-forward-backend-url``."""
        if forward_url and self.annotation_backend is BackendType.FORWARD:
            r.backend_type = BackendType.NETWORK
            r.backend = forward_url
            r.filters = []


@dataclass(slots=True)
class IngressTrace:
    """One Ingress converted: what it adds to the conversion, and what it read to get there.

    ``lookups`` are the cluster-state questions it asked (services, endpoints, secrets) with
    their answers; ``log`` what it logged; ``route`` its default-backend route; ``host_routes``
    its routes per host, in order; ``redirect_codes`` and ``no_redirect`` the hosts it gave an
    HTTPS redirect (with the code) or an explicit opt-out, for the hosts' catch-all routes.
    """

    lookups: list[Lookup]
    log: list[LogOp]
    route: Built | None
    namespace: str
    name: str
    host_routes: list[tuple[str, Built]]
    redirect_codes: dict[str, int]
    no_redirect: set[str]


class IngressConverter:
    """Skipper's Ingress conversion, one object at a time (``convert_one``) and then the
    cluster-level steps over every object's result (``assemble``): per host the east-west range
    predicates and the catch-all route, then the east-west routes of the default backends."""

    def __init__(self, options: KubeOptions, state: State, default_filters: DefaultFilters,
                 allowed_external_names: list[Matcher | None]) -> None:
        self.options = options
        self.state = state
        self.default_filters = default_filters
        self.allowed = allowed_external_names
        self.east_west_domain = _east_west_domain(options)
        # the object being converted
        self.log: Log = TraceLog()
        self.host_routes: list[tuple[str, Draft]] = []
        self.redirect = rd.RedirectInfo(options.https_redirect, options.https_redirect_code)

    def convert_one(self, obj: KubeObject) -> IngressTrace:
        """Convert one Ingress on its own, recording what it reads of the cluster state."""
        opts = self.options
        log = self.log = TraceLog()
        self.host_routes = []
        self.redirect = rd.RedirectInfo(opts.https_redirect, opts.https_redirect_code)
        lookups: list[Lookup] = []
        self.state.trace = lookups
        try:
            route = self._ingress(obj)
        finally:
            self.state.trace = None
        namespace = name = ""
        if route is not None and opts.east_west:
            meta = o.Meta(obj)
            namespace, name = meta.namespace, meta.name
        # The east-west range predicates go to every route of a host in such a domain: known now.
        for host, r in self.host_routes:
            for d in opts.east_west_range_domains:
                if host.endswith(d):
                    r.predicates.extend(opts.east_west_range_predicates)
        return IngressTrace(lookups, log.ops, Built(route) if route is not None else None, namespace, name,
                            [(h, Built(r)) for h, r in self.host_routes], self.redirect.set_host_code,
                            self.redirect.disable_host)

    def assemble(self, traces: list[IngressTrace], log: Log, catchalls: Generations[list[Built]]) -> list[Built]:
        """Every Ingress route in Skipper's order from the objects' conversions, in object order.

        ``catchalls`` keeps the catch-all routes made for a host between conversions.
        """
        opts = self.options
        routes: list[Built] = []
        ew_info: dict[str, tuple[str, str]] = {}
        host_routes: dict[str, list[Built]] = {}
        redirect_codes: dict[str, int] = {}
        no_redirect: set[str] = set()
        for t in traces:
            log.replay(t.log)
            for host, b in t.host_routes:
                host_routes.setdefault(host, []).append(b)
            redirect_codes.update(t.redirect_codes)
            no_redirect |= t.no_redirect
            if t.route is not None:
                routes.append(t.route)
                if opts.east_west:
                    ew_info[t.route.route.id] = (t.namespace, t.name)
        for host, rs in host_routes.items():
            routes.extend(rs)
            if not opts.disable_catchall_routes and not _has_catchall(rs):
                key = (host, tuple(rs[0].draft.host_regexps), redirect_codes.get(host), host in no_redirect)
                got = catchalls.get(key)
                if got is None:
                    got = [Built(d) for d in _catchall_routes(*key)]
                catchalls.keep(key, got)
                routes.extend(got)
        if opts.east_west and routes and ew_info:
            before = len(routes)
            ew_routes = []
            for b in routes:
                if b.route.id in ew_info:
                    ns, name = ew_info[b.route.id]
                    key3 = (self.east_west_domain, ns, name)
                    if key3 in b.twins:
                        ew = b.twins[key3]
                    else:
                        # Skipper passes namespace and name the other way round here.
                        d = _east_west_route(self.east_west_domain, ns, name, b.draft)
                        ew = b.twins[key3] = Built(d) if d is not None else None
                    if ew is not None:
                        ew_routes.append(ew)
            routes.extend(ew_routes)
            log.info(f"Enabled east west routes: {before} {len(routes)} {len(ew_routes)} {len(host_routes)}")
        return routes

    def _add_host_route(self, ic: _Context, host: str, r: Draft) -> None:
        ic.forward(r, self.options.forward_backend_url)
        self.host_routes.append((host, r))

    def _ingress(self, obj: KubeObject) -> Draft | None:
        try:
            meta = o.Meta(obj) if o.opt_mapping(obj, "metadata") is not None else None
            spec = parse_spec(obj)
        except o.Malformed as e:
            self.log.error(f"invalid ingress item: {e}")
            return None
        if meta is None or not meta.namespace or not meta.name or spec is None:
            self.log.error("invalid ingress item: missing Metadata or Spec")
            return None
        logger = self.log.for_object("Ingress", meta.namespace, meta.name)
        self.redirect.init_current(meta.annotations, self.log, PREDICATE_ANNOTATION, ROUTES_ANNOTATION)
        ic = _Context(obj, meta, spec, self, logger)
        route = None
        try:
            route = self._default_backend(ic)
        except (ServiceNotFound, _NotEnabledExternalName, _NotAllowedExternalName) as e:
            logger.error(f"Failed to convert default backend: {e}")
        if route is not None:
            ic.forward(route, self.options.forward_backend_url)
            prepend_application_annotation(meta.labels, self.options.application_annotation_label, route)
        for rule in spec.rules:
            self._rule(ic, rule)
        if self.options.enable_tls:
            for t in spec.tls:
                self._tls(ic, t)
        if route is not None:
            ic.forward(route, self.options.forward_backend_url)
        return route

    # The default backend: a route without host.
    def _default_backend(self, ic: _Context) -> Draft | None:
        be = ic.spec.default_backend
        if be is None:
            return None
        ns, name = ic.meta.namespace, ic.meta.name
        try:
            svc = self.state.service(ns, be.name)
        except ServiceNotFound:
            ic.logger.error(f"Failed to get service {be.name}, {be.port}")
            raise
        rid = route_id(ns, name, "", "", "")
        sp = _service_port(svc.ports, be.port)
        eps: list[tuple[str, str]] = []
        if sp is None:
            ports = " ".join(str(p) for p in svc.ports)
            ic.logger.error(f"Failed to find target port [{ports}], {be.port}, for service {be.name} add shuntroute: "
                            f"getServicePortV1: service port not found [{ports}] given {be.port}")
        elif svc.type == "ExternalName":
            if self.options.enable_external_names:
                return self._external_name_route(ns, name, "default", [], svc.external_name, sp)
            raise _NotEnabledExternalName()
        else:
            eps = self._endpoints(ic, ns, be.name, sp)
        if not eps:
            r = Draft(id=rid)
            shunt_no_endpoints(r)
            return r
        if len(eps) == 1:
            return Draft(id=rid, backend_type=BackendType.NETWORK, backend=eps[0][0])
        r = Draft(id=rid, backend_type=BackendType.LB, lb_algorithm=self._lb_algorithm(ic), lb_endpoints=eps)
        f = zone_awareness_filter(ic.meta.annotations)
        if f is not None:
            r.filters.insert(0, f)
        return r

    def _lb_algorithm(self, ic: _Context) -> str:
        return ic.meta.annotations.get(LOADBALANCER_ANNOTATION, _default_lb(self.options))

    def _endpoints(self, ic: _Context, ns: str, svc_name: str, sp: ServicePort) -> list[tuple[str, str]]:
        if self.options.force_service:
            return [(_service_backend_url(svc_name, ns, sp), "")]
        ann = ic.meta.annotations
        protocol = ann.get(BACKEND_PROTOCOL_ANNOTATION, "http")
        if self.state.enable_endpointslices:
            return self.state.slices_by_service(self.options.topology_zone, ns, svc_name, protocol,
                                                BACKEND_PROTOCOL_ANNOTATION in ann, sp, ic.zone_aware)
        return lb_endpoints(self.state.endpoints_by_service(ns, svc_name, protocol, sp))

    def _external_name_route(self, ns: str, name: str, id_host: str, host_regexps: list[str], external: str,
                             sp: ServicePort) -> Draft:
        if not external_allowed(self.allowed, external):
            raise _NotAllowedExternalName(external)
        scheme = "https" if sp.target_port == 443 else "http"
        r = Draft(id=route_id(ns, name, id_host, "", external), backend_type=BackendType.NETWORK,
                  backend=f"{scheme}://{external}:{o.port_string(sp.target_port)}", host_regexps=list(host_regexps))
        if not self.options.external_name_preserve_host:
            r.filters = [Filter("setRequestHeader", ("Host", external))]
        return r

    # Rules.
    def _rule(self, ic: _Context, rule: Rule) -> None:
        if rule.paths is None:
            ic.logger.info("Skipping rule without http definition")
            return
        by_path: dict[str, list[tuple[str, float]]] = {}
        for p in rule.paths:
            svc = p.backend.name if p.backend else ""
            by_path.setdefault(p.path, []).append((svc, ic.backend_weights.get(svc, 0.0)))
        per_path = {path: traffic.calculate(self.options.backend_traffic_algorithm, b) for path, b in by_path.items()}
        for p in rule.paths:
            self._extra_routes(ic, rule.host, p.path, p.path_type)
            t = per_path[p.path].get(p.backend.name if p.backend else "", traffic.ALL_TRAFFIC)
            if t.allowed():
                self._path_rule(ic, rule.host, p, t)

    def _extra_routes(self, ic: _Context, host: str, path: str, path_type: str) -> None:
        opts = self.options
        meta = ic.meta
        ew_host = is_east_west_host(host, opts.east_west_range_domains)
        for index, extra in enumerate(ic.extra_routes):
            r = extra.copy()
            r.host_regexps = [host_rx(host)]
            r.id = route_id(meta.namespace, f"{meta.name}_{extra.id}_{index}", host + path.replace("/", "_"), "", "")
            set_path(ic.path_mode, r, path_type, path)
            n = _count_path_predicates(r)
            if n <= 1:
                if ew_host:
                    append_annotation_predicates(opts.east_west_range_annotation_predicates, meta.annotations, r)
                    append_annotation_filters(opts.east_west_range_annotation_filters_append, meta.annotations, r)
                else:
                    append_annotation_predicates(opts.annotation_predicates, meta.annotations, r)
                    append_annotation_filters(opts.annotation_filters_append, meta.annotations, r)
                prepend_application_annotation(meta.labels, opts.application_annotation_label, r)
                self._add_host_route(ic, host, r)
                self.redirect.update_host(host)
            else:
                ic.logger.error(f"Ignoring route due to multiple path predicates: {n} path predicates, route: {r.id}")
            if opts.east_west:
                ew = _east_west_route(self.east_west_domain, meta.name, meta.namespace, r)
                if ew is not None:
                    self._add_host_route(ic, f"{meta.name}.{meta.namespace}.{self.east_west_domain}", ew)

    def _path_rule_route(self, ic: _Context, host: str, p: PathRule, t: traffic.BackendTraffic) -> Draft | None:
        ns, name = ic.meta.namespace, ic.meta.name
        if p.backend is None:
            # Skipper fails the whole load here (or crashes first); one bad rule is skipped instead.
            ic.logger.error(f"invalid path rule, missing backend in: {ns}/{name}/{host}")
            return None
        host_regexps = [host_rx(host)] if host else []
        be = p.backend
        try:
            svc = self.state.service(ns, be.name)
        except ServiceNotFound:
            ic.logger.error(f"Failed to get service {be.name}, {be.port}")
            return None
        sp = _service_port(svc.ports, be.port)
        eps: list[tuple[str, str]] = []
        if sp is not None:
            if svc.type == "ExternalName":
                if self.options.enable_external_names:
                    return self._external_name_route(ns, name, host, host_regexps, svc.external_name, sp)
                raise _NotEnabledExternalName()
            eps = self._endpoints(ic, ns, be.name, sp)
        rid = route_id(ns, name, host, p.path, be.name)
        if not eps:
            r = Draft(id=rid, host_regexps=host_regexps)
            set_path(ic.path_mode, r, p.path_type, p.path)
            t.apply(r)
            shunt_no_endpoints(r)
            return r
        if len(eps) == 1:
            r = Draft(id=rid, backend_type=BackendType.NETWORK, backend=eps[0][0], host_regexps=host_regexps)
        else:
            r = Draft(id=rid, backend_type=BackendType.LB, lb_algorithm=self._lb_algorithm(ic), lb_endpoints=eps,
                      host_regexps=host_regexps)
            f = zone_awareness_filter(ic.meta.annotations)
            if f is not None:
                r.filters.insert(0, f)
        set_path(ic.path_mode, r, p.path_type, p.path)
        t.apply(r)
        return r

    def _path_rule(self, ic: _Context, host: str, p: PathRule, t: traffic.BackendTraffic) -> None:
        opts = self.options
        meta = ic.meta
        try:
            r = self._path_rule_route(ic, host, p, t)
        except _NotAllowedExternalName as e:
            ic.logger.info(f"Not allowed external name: {e}")
            return
        except _NotEnabledExternalName:
            ic.logger.info(f"Not enabled to reference external name from ingress: {meta.namespace}/{meta.name}")
            return
        if r is None:
            return
        if r.backend_type is not BackendType.SHUNT:
            r.filters = list(ic.annotation_filters) + r.filters
        svc_name = p.backend.name if p.backend else ""
        try:
            r.filters = self.default_filters.get(meta.namespace, svc_name) + r.filters
        except ValueError as e:
            ic.logger.error(f"Failed to retrieve default filters: {e}")
        self._annotation_predicates(ic, r)
        prepend_application_annotation(meta.labels, opts.application_annotation_label, r)
        self._add_host_route(ic, host, r)

        ew_range = is_east_west_host(host, opts.east_west_range_domains)
        domain = self.east_west_domain
        # Skipper checks the option as given here, defaulted or not, east-west on or off.
        raw_domain = domain if opts.east_west else opts.east_west_domain
        if not (ew_range or (raw_domain and host.endswith(raw_domain))):
            red = self.redirect
            if red.ignore:
                pass
            elif red.enable or (not red.disable and red.default_enabled):
                self._add_host_route(ic, host, rd.enable_redirect_route(r, red.code))
                red.set_host(host)
            elif red.disable:
                self._add_host_route(ic, host, rd.disable_redirect_route(r))
                red.set_host_disabled(host)
            append_annotation_predicates(opts.annotation_predicates, meta.annotations, r)
            append_annotation_filters(opts.annotation_filters_append, meta.annotations, r)
        else:
            append_annotation_predicates(opts.east_west_range_annotation_predicates, meta.annotations, r)
            append_annotation_filters(opts.east_west_range_annotation_filters_append, meta.annotations, r)
        if opts.east_west:
            ew = _east_west_route(domain, meta.name, meta.namespace, r)
            if ew is not None:
                self._add_host_route(ic, f"{meta.name}.{meta.namespace}.{domain}", ew)

    def _annotation_predicates(self, ic: _Context, r: Draft) -> None:
        text = ic.annotation_predicate
        if not text:
            return
        try:
            predicates = [p for p in parsing.predicates(text) if p.name != "*"]
        except ParseError as e:
            ic.logger.error(f"Failed to apply annotation predicates: {e}")
            return
        if ic.path_mode == "path-prefix":
            # predicates from the annotation take precedence over the Ingress path
            for p in predicates:
                if p.name not in ("Path", "PathSubtree"):
                    continue
                r.path = ""
                for i, q in enumerate(r.predicates):
                    if q.name in ("Path", "PathSubtree"):
                        del r.predicates[i]
                        break
        r.predicates.extend(predicates)

    def _tls(self, ic: _Context, t: IngressTLS) -> None:
        rule_hosts = [r.host for r in ic.spec.rules]
        matching = [h for h in reversed(t.hosts) if h in rule_hosts]
        if not matching:
            ic.logger.error(f"No matching tls hosts found - tls hosts: {_go_list(t.hosts)}, "
                            f"ingress hosts: {_go_list(rule_hosts)}")
            return
        if len(matching) != len(t.hosts):
            ic.logger.info(f"Hosts in TLS and Ingress don't match: tls hosts: {_go_list(t.hosts)}, "
                           f"ingress hosts: {_go_list(rule_hosts)}")
        if not t.secret_name:
            return
        secret = self.state.secret(ic.meta.namespace, t.secret_name)
        if secret is None:
            ic.logger.error(f"Failed to find secret {t.secret_name} in namespace {ic.meta.namespace}")
            return
        add_certificate(ic.logger, self.log, matching, secret)


def _go_list(items: Any) -> str:
    return "[" + " ".join(items) + "]"


def add_certificate(logger: ObjectLog, log: Log, hosts: list[str], secret: KubeObject) -> None:
    """Check a TLS secret as Skipper does before adding it to its certificate registry."""
    from skipperd.dataclients.kubernetes.tls import certificate_error

    err = certificate_error(secret)
    if err:
        logger.error(f"Failed to generate TLS certificate from secret: {err}")
        return
    for h in hosts:
        log.certificate_added(h)


def _default_lb(options: KubeOptions) -> str:
    from skipperd.dataclients.kubernetes.definitions import LB_ALGORITHMS

    a = options.default_lb_algorithm
    return a if a in LB_ALGORITHMS else "roundRobin"


def _east_west_domain(options: KubeOptions) -> str:
    if not options.east_west:
        return ""
    return options.east_west_domain.strip(".") or "skipper.cluster.local"


def east_west_route_id(rid: str) -> str:
    return "kubeew" + rid[len("kube"):]


def _east_west_route(domain: str, name: str, ns: str, r: Draft) -> Draft | None:
    if r.id.startswith("kubeew") or not ns or not name:
        return None
    ew = r.copy()
    ew.host_regexps = [host_rx(f"{name}.{ns}.{domain}")]
    ew.id = east_west_route_id(r.id)
    return ew
