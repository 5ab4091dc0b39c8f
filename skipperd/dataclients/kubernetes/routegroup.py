"""RouteGroups (``zalando.org/v1``) to routes, as Skipper's routegroup.go.

A RouteGroup's hosts are split into external hosts and, with ``-kubernetes-east-west-range-
domains``, internal ones; each part is converted on its own. Without ``routes`` every default
backend gives one route; with them, each route gives one route per method and backend. Routes
then get their Host predicate, traffic split, default filters, east-west twin and HTTPS
redirect twin; a host whose every route has further conditions gets a catch-all route.
"""

from __future__ import annotations

from dataclasses import dataclass

from skipperd.dataclients.kubernetes import gourl
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
    PREDICATE_ANNOTATION,
    ROUTES_ANNOTATION,
    SERVICE,
    Backend,
    BackendRef,
    RouteGroup,
    RouteSpec,
    TLSSpec,
)
from skipperd.dataclients.kubernetes.ingress import _go_list, add_certificate, east_west_route_id
from skipperd.dataclients.kubernetes.logs import Log, LogOp, ObjectLog, TraceLog
from skipperd.dataclients.kubernetes.model import KubeOptions
from skipperd.dataclients.kubernetes.routes import Built, Draft, host_rx, lb_endpoints
from skipperd.dataclients.kubernetes.state import Lookup, ServiceNotFound, State
from skipperd.eskip import ParseError
from skipperd.eskip.route import BackendType, Filter, Predicate

BACKEND_NAME_TRACING_TAG = "skipper.backend_name"

_ESKIP_TYPES = {"network": BackendType.NETWORK, "shunt": BackendType.SHUNT, "loopback": BackendType.LOOPBACK,
                "dynamic": BackendType.DYNAMIC, "lb": BackendType.LB, "forward": BackendType.FORWARD}


class _RouteError(Exception):
    pass


def to_symbol(s: str) -> str:
    """Every byte that is not ``[_0-9a-zA-Z]`` becomes ``_`` (per UTF-8 byte, as Skipper)."""
    return "".join(chr(b) if chr(b) == "_" or chr(b).isascii() and chr(b).isalnum() else "_" for b in s.encode())


def rg_route_id(namespace: str, name: str, sub: str, index: int, sub_index: int, internal: bool) -> str:
    if internal:
        namespace = "internal_" + namespace
    return f"kube_rg__{namespace}__{name}__{sub}__{index}_{sub_index}"


def _eskip_error(kind: str, text: str, err: Exception) -> str:
    return f"[eskip] {kind}, '{text[:48]}'; {err}"


class _Group:
    """One RouteGroup, external or internal part (Skipper's ``routeGroupContext``)."""

    def __init__(self, conv: RouteGroupConverter, rg: RouteGroup, meta: o.Meta, logger: ObjectLog,
                 hosts: list[str], internal: bool, provide_redirect: bool) -> None:
        opts = conv.options
        self.conv = conv
        self.rg = rg
        self.meta = meta
        self.logger = logger
        self.hosts = hosts
        self.hostrx = host_rx(*hosts)
        self.internal = internal
        self.host_routes: dict[str, list[Draft]] = {}
        self.backends = {b.name: b for b in (rg.spec.backends if rg.spec else [])}
        ew_domain = conv.east_west_domain if opts.east_west else opts.east_west_domain
        self.east_west = opts.east_west and not internal
        self.has_east_west_host = any(h.endswith(ew_domain) for h in hosts)
        self.provide_redirect = provide_redirect and not internal
        self.zone = "" if internal else opts.topology_zone
        self.zone_aware = internal or meta.annotations.get(TRAFFIC_ZONE_AWARE_ANNOTATION) != "false"
        self.default_traffic: dict[str, traffic.BackendTraffic] = {}

    @property
    def namespace(self) -> str:
        return o.resource_namespace(self.meta.namespace)

    def route_id(self, method: str, index: int, backend_index: int) -> str:
        return rg_route_id(to_symbol(self.namespace), to_symbol(self.meta.name), to_symbol(method), index,
                           backend_index, self.internal)

    def calculate(self, refs: list[BackendRef | None]) -> dict[str, traffic.BackendTraffic]:
        return traffic.calculate(self.conv.options.backend_traffic_algorithm,
                                 [(r.name, float(r.weight)) for r in refs if r is not None])

    def transform(self) -> list[Draft]:
        spec = self.rg.spec
        assert spec is not None
        self.default_traffic = self.calculate(spec.default_backends)
        if not spec.routes:
            return self._implicit_routes()
        return self._explicit_routes()

    def _store(self, r: Draft) -> None:
        for h in self.hosts:
            self.host_routes.setdefault(h, []).append(r)

    def _twins(self, routes: list[Draft], r: Draft) -> None:
        if self.east_west and not self.has_east_west_host:
            routes.append(self._east_west(r))
        if self.provide_redirect and not rd.has_proto_predicate(r):
            routes.append(rd.https_redirect_route(self.conv.redirect_code, r))

    def _east_west(self, r: Draft) -> Draft:
        ew = r.copy()
        ew.id = east_west_route_id(r.id)
        ew.host_regexps = []
        ew.predicates = [p for p in ew.predicates if p.name != "Host"]
        ew.predicates.append(Predicate("Host", (host_rx(f"{self.meta.name}.{self.namespace}."
                                                        f"{self.conv.east_west_domain}"),)))
        return ew

    def _default_filters(self, service: str, r: Draft) -> None:
        try:
            r.filters = self.conv.default_filters.get(self.namespace, service) + r.filters
        except ValueError as e:
            self.logger.error("Failed to retrieve default filters: error while applying default filters for "
                              f"route group and service: {self.namespace}/{self.meta.name} {service}, {e}")

    def _implicit_routes(self) -> list[Draft]:
        spec = self.rg.spec
        assert spec is not None
        routes: list[Draft] = []
        for index, ref in enumerate(spec.default_backends):
            assert ref is not None
            be = self.backends[ref.name]
            r = Draft(id=self.route_id("all", 0, index))
            self._apply_backend(be, r)
            if self.hostrx:
                r.predicates.append(Predicate("Host", (self.hostrx,)))
            self.default_traffic.get(ref.name, traffic.ALL_TRAFFIC).apply(r)
            if be.type == SERVICE:
                self._default_filters(be.service_name, r)
            prepend_application_annotation(self.meta.labels, self.conv.options.application_annotation_label, r)
            self._store(r)
            routes.append(r)
            self._twins(routes, r)
        return routes

    def _explicit_routes(self) -> list[Draft]:
        spec = self.rg.spec
        assert spec is not None
        result: list[Draft] = []
        for index, rs in enumerate(spec.routes):
            assert rs is not None
            refs = spec.default_backends
            shares = self.default_traffic
            if rs.backends:
                refs = rs.backends
                shares = self.calculate(rs.backends)
            routes: list[Draft] = []
            try:
                for method in rs.unique_methods() or [""]:
                    for bindex, ref in enumerate(refs):
                        assert ref is not None
                        be = self.backends[ref.name]
                        r = self._explicit_route(rs, self.route_id(method.lower() or "all", index, bindex),
                                                 method.upper(), be)
                        shares.get(ref.name, traffic.ALL_TRAFFIC).apply(r)
                        prepend_application_annotation(self.meta.labels,
                                                       self.conv.options.application_annotation_label, r)
                        self._store(r)
                        routes.append(r)
                        self._twins(routes, r)
            except _RouteError as e:
                self.logger.error(f"Ignoring route: {e}")
                continue
            result.extend(routes)
        return result

    def _explicit_route(self, rs: RouteSpec, rid: str, method: str, be: Backend) -> Draft:
        r = Draft(id=rid)
        if rs.path:
            r.predicates.append(Predicate("Path", (rs.path,)))
        elif rs.path_subtree:
            r.predicates.append(Predicate("PathSubtree", (rs.path_subtree,)))
        if rs.path_regexp:
            r.predicates.append(Predicate("PathRegexp", (rs.path_regexp,)))
        if self.hostrx:
            r.predicates.append(Predicate("Host", (self.hostrx,)))
        if method:
            r.predicates.append(Predicate("Method", (method,)))
        for text in rs.predicates:
            try:
                r.predicates.extend(p for p in parsing.predicates(text) if p.name != "*")
            except ParseError as e:
                raise _RouteError(_eskip_error("predicate", text, e)) from None
        filters: list[Filter] = []
        for text in rs.filters:
            try:
                filters.extend(parsing.filters(text))
            except ParseError as e:
                raise _RouteError(_eskip_error("filter", text, e)) from None
        r.filters = filters
        self._apply_backend(be, r)
        if be.type == SERVICE:
            self._default_filters(be.service_name, r)
        return r

    def _apply_backend(self, be: Backend, r: Draft) -> None:
        conv = self.conv
        if be.type == SERVICE:
            self._service_backend(be, r)
        elif be.type == "network":
            if not external_allowed(conv.allowed, _url_hostname(be.address)):
                raise _RouteError(f"routegroup with not allowed network backend: {be.address}")
            r.backend_type = BackendType.NETWORK
            r.backend = be.address
        elif be.type == "lb":
            for ep in be.endpoints:
                if not external_allowed(conv.allowed, _url_hostname(ep)):
                    raise _RouteError(f"routegroup with not allowed explicit LB endpoint: {ep}")
            r.backend_type = BackendType.LB
            r.lb_endpoints = lb_endpoints(be.endpoints)
            r.lb_algorithm = be.algorithm or conv.default_lb
        elif be.type == "forward":
            r.backend_type = BackendType.NETWORK
            r.backend = conv.options.forward_backend_url
            r.filters = []
        else:
            r.backend_type = _ESKIP_TYPES[be.type]
        if conv.options.backend_name_tracing_tag:
            r.filters.append(Filter("tracingTag", (BACKEND_NAME_TRACING_TAG, be.name)))

    def _service_backend(self, be: Backend, r: Draft) -> None:
        conv = self.conv
        ann = self.meta.annotations
        protocol = ann.get(BACKEND_PROTOCOL_ANNOTATION, "http")
        f = zone_awareness_filter(ann)
        if f is not None:
            r.filters.insert(0, f)
        try:
            svc = conv.state.service(self.namespace, be.service_name)
        except ServiceNotFound as e:
            raise _RouteError(f"{self.namespace}/{be.service_name}: {e}") from None
        if svc.type.lower() != "clusterip":
            raise _RouteError(f"not supported service type in service/{o.resource_namespace(svc.namespace)}/"
                              f"{svc.name}: {svc.type}")
        target = next((p.target_port for p in svc.ports if p.port == be.service_port), None)
        found = any(p.port == be.service_port for p in svc.ports)
        if not found or target is None:
            raise _RouteError(f"target port not found: {be.service_name}:{be.service_port}")
        if conv.state.enable_endpointslices:
            eps = conv.state.slices_by_target(self.zone, self.namespace, svc.name, protocol,
                                              BACKEND_PROTOCOL_ANNOTATION in ann, target, self.zone_aware)
        else:
            eps = lb_endpoints(conv.state.endpoints_by_target(self.namespace, svc.name, protocol, target))
        if not eps:
            shunt_no_endpoints(r)
            return
        if len(eps) == 1:
            r.backend_type = BackendType.NETWORK
            r.backend = eps[0][0]
            return
        r.backend_type = BackendType.LB
        r.lb_endpoints = list(eps)
        r.lb_algorithm = be.algorithm or conv.default_lb


def _url_hostname(address: str) -> str:
    """Go's ``url.Parse(address).Hostname()``; "" when it does not parse."""
    try:
        return gourl.parse(address).hostname
    except gourl.URLError:
        return ""


def _catchall_routes(host_routes: dict[str, list[Draft]], internal: bool) -> list[Draft]:
    out = []
    for host, routes in host_routes.items():
        if any(all(p.name == "Host" for p in r.canonical_predicates()) for r in routes):
            continue
        out.append(Draft(id=rg_route_id("", to_symbol(host), "catchall", 0, 0, internal),
                         predicates=[Predicate("Host", (host_rx(host),))]))
    return out


@dataclass(slots=True)
class GroupTrace:
    """One RouteGroup converted: its routes, what it logged, and the cluster-state questions it
    asked with their answers (``State.replay`` checks them before the trace is reused)."""

    lookups: list[Lookup]
    log: list[LogOp]
    routes: list[Built]


class RouteGroupConverter:
    """Skipper's RouteGroup conversion, one object at a time: nothing in it depends on the
    other RouteGroups but the cluster state it looks up and the certificates already logged."""

    def __init__(self, options: KubeOptions, state: State, default_filters: DefaultFilters,
                 allowed_external_names: list[Matcher | None], east_west_domain: str, default_lb: str) -> None:
        self.options = options
        self.state = state
        self.default_filters = default_filters
        self.log: Log = TraceLog()
        self.allowed = allowed_external_names
        self.east_west_domain = east_west_domain
        self.default_lb = default_lb
        self.redirect_code = options.https_redirect_code if options.https_redirect_code > 0 else 308
        self.redirect = rd.RedirectInfo(options.https_redirect, self.redirect_code)

    def convert_one(self, rg: RouteGroup, meta: o.Meta) -> GroupTrace:
        """Convert one valid RouteGroup on its own, recording what it reads of the cluster state."""
        log = self.log = TraceLog()
        lookups: list[Lookup] = []
        self.state.trace = lookups
        try:
            routes = self._convert(rg, meta)
        finally:
            self.state.trace = None
        return GroupTrace(lookups, log.ops, [Built(r) for r in routes])

    def _convert(self, rg: RouteGroup, meta: o.Meta) -> list[Draft]:
        routes: list[Draft] = []
        opts = self.options
        logger = self.log.for_object("RouteGroup", meta.namespace, meta.name)
        self.redirect.init_current(meta.annotations, self.log, PREDICATE_ANNOTATION, ROUTES_ANNOTATION)
        assert rg.spec is not None
        hosts = rg.spec.unique_hosts()
        internal = [h for h in hosts if is_east_west_host(h, opts.east_west_range_domains)]
        external = [h for h in hosts if not is_east_west_host(h, opts.east_west_range_domains)]
        if external or not hosts:
            red = self.redirect
            provide = red.enable or (not red.disable and red.default_enabled)
            group = _Group(self, rg, meta, logger, external, False, provide)
            try:
                got = group.transform()
            except _RouteError as e:
                logger.error(f"Error transforming external hosts: {e}")
                return routes
            if not opts.disable_catchall_routes:
                got.extend(_catchall_routes(group.host_routes, False))
            if opts.enable_tls:
                for t in rg.spec.tls:
                    self._tls(group, t)
            for r in got:
                append_annotation_predicates(opts.annotation_predicates, meta.annotations, r)
                append_annotation_filters(opts.annotation_filters_append, meta.annotations, r)
            routes.extend(got)
        if internal:
            group = _Group(self, rg, meta, logger, internal, True, False)
            try:
                got = group.transform()
            except _RouteError as e:
                logger.error(f"Error transforming internal hosts: {e}")
                return routes
            if not opts.disable_catchall_routes:
                got.extend(_catchall_routes(group.host_routes, True))
            for r in got:
                r.predicates.extend(opts.east_west_range_predicates)
            for r in got:
                append_annotation_predicates(opts.east_west_range_annotation_predicates, meta.annotations, r)
                append_annotation_filters(opts.east_west_range_annotation_filters_append, meta.annotations, r)
            if opts.enable_tls:
                for t in rg.spec.tls:
                    self._tls(group, t)
            routes.extend(got)
        return routes

    def _tls(self, group: _Group, t: TLSSpec) -> None:
        assert group.rg.spec is not None
        hosts = group.rg.spec.unique_hosts()
        matching = [h for h in reversed(t.hosts) if h in hosts]
        if not matching:
            group.logger.error(f"No matching tls hosts found - tls hosts: {_go_list(t.hosts)}, "
                               f"routegroup hosts: {_go_list(hosts)}")
            return
        if len(matching) != len(t.hosts):
            group.logger.info(f"Hosts in TLS and RouteGroup don't match: tls hosts: {_go_list(t.hosts)}, "
                              f"routegroup hosts: {_go_list(hosts)}")
        if not t.secret_name:
            return
        secret = self.state.secret(o.resource_namespace(group.meta.namespace), t.secret_name)
        if secret is None:
            group.logger.error(f"Failed to find secret {t.secret_name} in namespace {group.meta.namespace}")
            return
        add_certificate(group.logger, self.log, matching, secret)
