"""Kubernetes fixture families: Skipper's data-client golden files run through the converter.

A family is a folder of fixtures (``NAME.yaml`` objects, ``NAME.kube`` options, ``NAME.eskip``
expected routes, ``NAME.api`` API failures, ``NAME.default-filters`` directory, ``NAME.error``
and ``NAME.log`` patterns), grouped and checked as the corpus README says. The API is modelled
in-process, in the order Skipper's client reads it: Ingresses, the ``zalando.org/v1`` resource
list, RouteGroups, Services, Endpoints or EndpointSlices, Secrets with TLS; a failed list fails
the load, a failed resource list only skips RouteGroups.

``.log`` patterns are matched against logrus-formatted lines (``time="…" level=… msg=…
kind=… name=… ns=…``) and checked only with ``--strict-logs``.

Beside the README's ``.kube`` keys, skipperd's runner reads keys for the options that Skipper's
runner never sets, so that its own fixtures (tests/kubernetes/) can cover them:
``kubernetes-path-mode``, ``kubernetes-namespace``, ``kubernetes-routegroup-class``,
``kubernetes-routegroups-label-selector``, ``kubernetes-healthcheck``,
``reverse-source-predicate`` and ``whitelisted-healthcheck-cidr`` (a list).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from skipperd.dataclients.default_filters_dir import DefaultFiltersError, read_default_filters_dir
from skipperd.dataclients.kubernetes import (
    AnnotationFilters,
    AnnotationPredicates,
    ClusterState,
    KubeOptions,
    LogEntry,
    convert,
)
from skipperd.dataclients.kubernetes.definitions import parse_routegroup, validate_routegroup
from skipperd.dataclients.kubernetes.objects import Malformed
from skipperd.errors import InvalidArguments
from skipperd.eskip import parse
from skipperd.eskip.route import Arg, BackendType, Filter, Predicate, Route
from skipperd.regexp import compile_re2

__all__ = ["is_errorwrap_dir", "is_family", "run_errorwrap_dir", "run_family", "Fixture", "run_fixture"]

EXTENSIONS = (".yaml", ".kube", ".eskip", ".api", ".default-filters", ".error", ".log")
SERVED_KINDS = ("Ingress", "RouteGroup", "Service", "Endpoints", "EndpointSlice", "Secret")
ROUTEGROUPS_NOT_INSTALLED = ("RouteGroups CRD is not installed in the cluster.\n"
                             "See: https://opensource.zalando.com/skipper/kubernetes/routegroups/#installation")

INGRESSES_PATH = "/apis/networking.k8s.io/v1/ingresses"
RESOURCES_PATH = "/apis/zalando.org/v1"
ROUTEGROUPS_PATH = "/apis/zalando.org/v1/routegroups"
SERVICES_PATH = "/api/v1/services"
ENDPOINTS_PATH = "/api/v1/endpoints"
ENDPOINTSLICES_PATH = "/apis/discovery.k8s.io/v1/endpointslices"
SECRETS_PATH = "/api/v1/secrets"


class Reporter(Protocol):
    def passed(self, where: str) -> None: ...

    def failed(self, where: str, reason: str) -> None: ...

    def note(self, where: str, text: str) -> None: ...


# --- finding fixtures -----------------------------------------------------------------------

def _ext(name: str) -> str:
    i = name.rfind(".")
    return name[i:] if i > 0 else ""


def _base(name: str) -> str:
    e = _ext(name)
    return name[: len(name) - len(e)] if e else name


def is_errorwrap_dir(path: Path) -> bool:
    return (path / "routegroups.json").is_file() and (path / "errors.log").is_file()


def is_family(path: Path) -> bool:
    """A folder with fixture files beside the objects: ``.eskip``, ``.kube``, ``.log``, ...

    Objects alone (``*.yaml``) do not make a family, so that a folder of eskip case files or of
    unrelated YAML is walked as before.
    """
    try:
        return any(_ext(e.name) in EXTENSIONS[1:] for e in path.iterdir())
    except OSError:
        return False


@dataclass(slots=True)
class Fixture:
    name: str
    files: dict[str, Path] = field(default_factory=dict)  # extension -> path

    def has_content(self) -> bool:
        return bool(self.files)


def fixtures(family: Path) -> list[Fixture]:
    """Skipper's grouping: entries sorted by base name; a run sharing ``<base>.`` is one fixture."""
    entries = sorted((e for e in family.iterdir() if not e.name.startswith(".")), key=lambda e: _base(e.name))
    out: list[Fixture] = []
    i = 0
    while i < len(entries):
        fx = Fixture(_base(entries[i].name))
        prefix = fx.name + "."
        start = i
        while i < len(entries) and entries[i].name.startswith(prefix):
            ext = _ext(entries[i].name)
            if ext in EXTENSIONS:
                fx.files[ext] = entries[i]
            i += 1
        if i == start:
            i += 1  # a name without extension belongs to no fixture
        out.append(fx)
    return out


def run_family(family: Path, report: Reporter, strict_logs: bool = False) -> None:
    for fx in fixtures(family):
        if not fx.has_content():
            continue
        where = f"{family}/{fx.name}"
        try:
            failure, notes = run_fixture(fx, strict_logs)
        except Exception as e:  # a broken fixture or a converter bug: one failure, the run goes on
            failure, notes = f"{type(e).__name__}: {e}", []
        for n in notes:
            report.note(where, n)
        if failure is None:
            report.passed(where)
        else:
            report.failed(where, failure)


# --- one fixture ---------------------------------------------------------------------------

def load_objects(path: Path) -> list[dict[str, Any]]:
    """The objects of a ``.yaml`` file: documents until the first empty one, ``List`` items inlined."""
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            if doc is None:
                break
            items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
            for obj in items or []:
                if isinstance(obj, dict):
                    out.append(obj)
    for obj in out:
        meta = obj.get("metadata")
        if isinstance(meta, dict) and not meta.get("namespace"):
            meta["namespace"] = "default"
    return out


@dataclass(slots=True)
class ApiBehaviour:
    fail_on: set[str] = field(default_factory=set)
    find_not: set[str] = field(default_factory=set)
    disable_routegroups: bool = False


def load_api(path: Path) -> ApiBehaviour:
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    return ApiBehaviour(set(raw.get("failOn") or ()), set(raw.get("findNot") or ()),
                        bool(raw.get("disableRouteGroups")))


class LoadFailed(Exception):
    pass


@dataclass(slots=True)
class Loaded:
    state: ClusterState | None
    error: str
    log: list[LogEntry]


def load_state(objects: list[dict[str, Any]], api: ApiBehaviour, options: KubeOptions) -> Loaded:
    """The lists Skipper's client reads, in its order, with the failures ``.api`` asks for."""
    by_kind: dict[str, list[dict[str, Any]]] = {k: [] for k in SERVED_KINDS}
    for obj in objects:
        kind = obj.get("kind")
        if isinstance(kind, str) and kind in by_kind:
            by_kind[kind].append(obj)
    log: list[LogEntry] = []

    def get(path: str, kind: str) -> tuple[dict[str, Any], ...]:
        if path in api.fail_on:
            raise LoadFailed(f"request to {path} failed, status: 500, 500 Internal Server Error")
        if path in api.find_not:
            raise LoadFailed("resource not found")
        return tuple(by_kind[kind])

    try:
        ingresses = get(INGRESSES_PATH, "Ingress")
        available = False
        if RESOURCES_PATH in api.fail_on:
            log.append(LogEntry("error", f"Error while checking known resource types: request to {RESOURCES_PATH} "
                                         "failed, status: 500, 500 Internal Server Error."))
        elif RESOURCES_PATH in api.find_not:
            log.append(LogEntry("warning", ROUTEGROUPS_NOT_INSTALLED))
        elif not api.disable_routegroups:
            available = True
        routegroups = get(ROUTEGROUPS_PATH, "RouteGroup") if available else ()
        services = get(SERVICES_PATH, "Service")
        endpoints: tuple[dict[str, Any], ...] = ()
        slices: tuple[dict[str, Any], ...] = ()
        if options.enable_endpointslices:
            slices = get(ENDPOINTSLICES_PATH, "EndpointSlice")
        else:
            endpoints = get(ENDPOINTS_PATH, "Endpoints")
        secrets = get(SECRETS_PATH, "Secret") if options.enable_tls else ()
    except LoadFailed as e:
        return Loaded(None, f"failed to load cluster state: {e}", log)
    return Loaded(ClusterState(ingresses, routegroups, services, endpoints, slices, secrets, available), "", log)


def run_fixture(fx: Fixture, strict_logs: bool) -> tuple[str | None, list[str]]:
    """``(failure or None, notes)`` for one fixture, by the README's steps."""
    notes: list[str] = []
    objects = load_objects(fx.files[".yaml"]) if ".yaml" in fx.files else []
    options = read_kube_options(fx.files[".kube"].read_text(encoding="utf-8")) if ".kube" in fx.files else KubeOptions()
    log: list[LogEntry] = []
    if ".default-filters" in fx.files:
        try:
            texts = read_default_filters_dir(str(fx.files[".default-filters"]))
        except DefaultFiltersError as e:
            texts = {}
            log.append(LogEntry("error", "could not fetch default filter configurations", (("error", str(e)),)))
        options = _with_default_filters(options, texts)
    api = load_api(fx.files[".api"]) if ".api" in fx.files else ApiBehaviour()

    loaded = load_state(objects, api, options)
    log.extend(loaded.log)
    routes: list[Route] = []
    if loaded.state is not None:
        conversion = convert(loaded.state, options)
        routes = [_without_zones(r) for r in conversion.routes]
        log.extend(conversion.log)
    error = loaded.error

    failures: list[str] = []
    if ".eskip" in fx.files:
        expected = parse(fx.files[".eskip"].read_text(encoding="utf-8"))
        diff = compare_routes(expected, routes)
        if diff:
            failures.append(diff)
    if error and ".api" not in fx.files and ".error" not in fx.files:
        failures.append(f"load failed: {error}")
    if ".error" not in fx.files:
        if error and ".api" in fx.files:
            failures.append(f"load failed: {error}")
    else:
        missing = unmatched(fx.files[".error"].read_text(encoding="utf-8"), error)
        if missing is not None:
            failures.append(f"error {error!r} does not match {missing!r}")
    if ".log" in fx.files:
        text = "\n".join(logrus_line(e) for e in log)
        missing = unmatched(fx.files[".log"].read_text(encoding="utf-8"), text)
        if missing is not None:
            if strict_logs:
                failures.append(f"log does not match {missing!r}; log: {text!r}")
            else:
                notes.append(f"log does not match {missing!r} (advisory without --strict-logs)")
    return ("; ".join(failures) if failures else None), notes


def logrus_line(e: LogEntry) -> str:
    return f'time="2006-01-02T15:04:05Z" {e}'


def unmatched(patterns: str, text: str) -> str | None:
    """The first pattern (one a line, Go RE2, unanchored) that matches no line of ``text``."""
    lines = text.split("\n")
    for p in patterns.split("\n"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rx = compile_re2("conformance", p)
        except InvalidArguments:
            return p
        if not any(rx.matches(line) for line in lines):
            return p
    return None


def _without_zones(r: Route) -> Route:
    if r.backend.type is BackendType.LB and r.backend.zones:
        from dataclasses import replace

        return replace(r, backend=replace(r.backend, zones=()))
    return r


# --- comparing routes ----------------------------------------------------------------------

def _arg_key(a: Arg) -> tuple[bool, Any]:
    return (isinstance(a, str), a)


def _pred_key(p: Predicate) -> tuple[str, tuple[tuple[bool, Any], ...]]:
    return (p.name, tuple(_arg_key(a) for a in p.args))


def _route_diff(e: Route, a: Route) -> str | None:
    ep = sorted((_pred_key(p) for p in e.predicates if p.name not in ("*", "Any")), key=repr)
    ap = sorted((_pred_key(p) for p in a.predicates if p.name not in ("*", "Any")), key=repr)
    if ep != ap:
        return f"predicates: expected {_show(e.predicates)}, got {_show(a.predicates)}"
    ef = [_pred_key(Predicate(f.name, f.args)) for f in e.filters]
    af = [_pred_key(Predicate(f.name, f.args)) for f in a.filters]
    if ef != af:
        return f"filters: expected {_show(e.filters)}, got {_show(a.filters)}"
    eb, ab = e.backend, a.backend
    if eb.type is not ab.type:
        return f"backend type: expected {eb.type.value}, got {ab.type.value}"
    if eb.type is BackendType.NETWORK and eb.address != ab.address:
        return f"backend: expected {eb.address!r}, got {ab.address!r}"
    if eb.type is BackendType.LB:
        if (eb.algorithm or "") != (ab.algorithm or ""):
            return f"lb algorithm: expected {eb.algorithm!r}, got {ab.algorithm!r}"
        if sorted(eb.endpoints) != sorted(ab.endpoints):
            return f"lb endpoints: expected {sorted(eb.endpoints)}, got {sorted(ab.endpoints)}"
    return None


def _show(items: Any) -> str:
    return " ".join(f"{x.name}({', '.join(repr(a) for a in x.args)})" for x in items) or "none"


def compare_routes(expected: list[Route], actual: list[Route]) -> str | None:
    """None when equal by the README's rules, else what differs first."""
    eids = [r.id for r in expected]
    aids = [r.id for r in actual]
    if len(set(eids)) != len(eids):
        return "expected routes have duplicate ids"
    if len(set(aids)) != len(aids):
        return "routes have duplicate ids"
    missing = sorted(set(eids) - set(aids))
    extra = sorted(set(aids) - set(eids))
    if missing or extra:
        return f"routes differ: missing {missing}, unexpected {extra}"
    by_id = {r.id: r for r in actual}
    for e in sorted(expected, key=lambda r: r.id):
        d = _route_diff(e, by_id[e.id])
        if d:
            return f"route {e.id}: {d}"
    return None


# --- .kube options ---------------------------------------------------------------------------

_BOOL_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_BOOL_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}


def _construct(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _bool(node: yaml.Node) -> bool:
    if isinstance(node, yaml.ScalarNode):
        if node.value in _BOOL_TRUE:
            return True
        if node.value in _BOOL_FALSE:
            return False
    raise ValueError(f"not a bool: {getattr(node, 'value', node)!r}")


def _int(node: yaml.Node) -> int:
    v = _construct(node)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"not an int: {v!r}")
    return v


def _str(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return "" if node.tag == "tag:yaml.org,2002:null" else str(node.value)
    raise ValueError("not a string")


def _str_list(node: yaml.Node) -> tuple[str, ...]:
    if isinstance(node, yaml.SequenceNode):
        return tuple(_str(n) for n in node.value)
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return ()
    raise ValueError("not a list")


def _str_map(node: yaml.Node) -> dict[str, str]:
    if isinstance(node, yaml.MappingNode):
        return {_str(k): _str(v) for k, v in node.value}
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return {}
    raise ValueError("not a map")


def _fields(node: yaml.Node) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {_str(k): v for k, v in node.value}


def _args(node: yaml.Node | None) -> tuple[Arg, ...]:
    if node is None:
        return ()
    raw = _construct(node)
    if raw is None:
        return ()
    out: list[Arg] = []
    for a in raw if isinstance(raw, list) else [raw]:
        if isinstance(a, bool):
            out.append(str(a).lower())
        elif isinstance(a, (int, float)):
            out.append(float(a))
        else:
            out.append(str(a))
    return tuple(out)


def _predicates(node: yaml.Node) -> tuple[Predicate, ...]:
    if not isinstance(node, yaml.SequenceNode):
        return ()
    out = []
    for n in node.value:
        f = _fields(n)
        out.append(Predicate(_str(f["name"]) if "name" in f else "", _args(f.get("args"))))
    return tuple(out)


def _filters(node: yaml.Node) -> tuple[Filter, ...]:
    return tuple(Filter(p.name, p.args) for p in _predicates(node))


def _annotation_predicates(node: yaml.Node) -> tuple[AnnotationPredicates, ...]:
    if not isinstance(node, yaml.SequenceNode):
        return ()
    out = []
    for n in node.value:
        f = _fields(n)
        out.append(AnnotationPredicates(_str(f["key"]) if "key" in f else "",
                                        _str(f["value"]) if "value" in f else "",
                                        _predicates(f["predicates"]) if "predicates" in f else ()))
    return tuple(out)


def _annotation_filters(node: yaml.Node) -> tuple[AnnotationFilters, ...]:
    if not isinstance(node, yaml.SequenceNode):
        return ()
    out = []
    for n in node.value:
        f = _fields(n)
        out.append(AnnotationFilters(_str(f["key"]) if "key" in f else "",
                                     _str(f["value"]) if "value" in f else "",
                                     _filters(f["filters"]) if "filters" in f else ()))
    return tuple(out)


def read_kube_options(text: str) -> KubeOptions:
    """A ``.kube`` file: string fields keep their raw text, args and bools resolve as YAML."""
    root = yaml.compose(text)
    f = _fields(root) if root is not None else {}
    kw: dict[str, Any] = {}

    def take(key: str, attr: str, conv: Any) -> None:
        if key in f:
            kw[attr] = conv(f[key])

    take("kubernetes-ingress-class", "ingress_class", _str)
    take("kubernetes-ingresses-label-selector", "ingress_label_selector", _str_map)
    take("kubernetes-services-label-selector", "services_label_selector", _str_map)
    take("kubernetes-endpoints-label-selector", "endpoints_label_selector", _str_map)
    # kubernetes-endpointslice-label-selector: parsed upstream but never passed to the client.
    take("enable-kubernetes-endpointslices", "enable_endpointslices", _bool)
    take("topology-zone", "topology_zone", _str)
    take("force-kubernetes-service", "force_service", _bool)
    take("kubernetes-enable-tls", "enable_tls", _bool)
    take("httpsRedirect", "https_redirect", _bool)
    take("httpsRedirectCode", "https_redirect_code", _int)
    take("disableCatchAllRoutes", "disable_catchall_routes", _bool)
    take("eastWest", "east_west", _bool)
    take("eastWestDomain", "east_west_domain", _str)
    take("eastWestRangeDomains", "east_west_range_domains", _str_list)
    take("eastWestRangePredicatesAppend", "east_west_range_predicates", _predicates)
    take("kubernetesAnnotationPredicates", "annotation_predicates", _annotation_predicates)
    take("kubernetesAnnotationFiltersAppend", "annotation_filters_append", _annotation_filters)
    take("kubernetesEastWestRangeAnnotationPredicates", "east_west_range_annotation_predicates",
         _annotation_predicates)
    take("kubernetesEastWestRangeAnnotationFiltersAppend", "east_west_range_annotation_filters_append",
         _annotation_filters)
    take("backendNameTracingTag", "backend_name_tracing_tag", _bool)
    take("enableExternalNames", "enable_external_names", _bool)
    take("externalNamePreserveHost", "external_name_preserve_host", _bool)
    take("onlyAllowedExternalNames", "only_allowed_external_names", _bool)
    take("allowedExternalNames", "allowed_external_names", _str_list)
    take("backend-traffic-algorithm", "backend_traffic_algorithm", _str)
    take("default-lb-algorithm", "default_lb_algorithm", _str)
    take("forward-backend-url", "forward_backend_url", _str)
    take("kubernetes-application-annotation-label", "application_annotation_label", _str)
    # skipperd's own keys, for the options Skipper's runner never sets (see the module docstring)
    take("kubernetes-path-mode", "path_mode", _str)
    take("kubernetes-namespace", "namespace", _str)
    take("kubernetes-routegroup-class", "routegroup_class", _str)
    take("kubernetes-routegroups-label-selector", "routegroup_label_selector", _str_map)
    take("kubernetes-healthcheck", "provide_healthcheck", _bool)
    take("reverse-source-predicate", "reverse_source_predicate", _bool)
    take("whitelisted-healthcheck-cidr", "whitelisted_healthcheck_cidrs", _str_list)
    if kw.get("https_redirect_code", 308) <= 0:
        kw["https_redirect_code"] = 308
    if not kw.get("backend_traffic_algorithm"):
        kw.pop("backend_traffic_algorithm", None)
    return KubeOptions(**kw)


def _with_default_filters(options: KubeOptions, texts: dict[str, str]) -> KubeOptions:
    from dataclasses import replace

    return replace(options, default_filters=texts)


# --- kubernetes-definitions/errorwrapdata ------------------------------------------------------

def run_errorwrap_dir(path: Path, report: Reporter) -> None:
    """Validate every item of ``routegroups.json``; the joined errors must equal ``errors.log``."""
    import json

    where = f"{path}/routegroups.json"
    with open(path / "routegroups.json", encoding="utf-8") as f:
        items = json.load(f).get("items") or []
    errs = []
    for item in items:
        try:
            err = validate_routegroup(parse_routegroup(item))
        except Malformed as e:
            err = str(e)
        if err:
            errs.append(err)
    got = "\n".join(errs)
    want = (path / "errors.log").read_text(encoding="utf-8").removesuffix("\n")
    if got == want:
        report.passed(where)
    else:
        report.failed(where, f"errors differ: expected {want!r}, got {got!r}")
