"""``KubeOptions`` from skipperd's settings (Skipper's flags), checked as Skipper checks them at start."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from skipperd.dataclients.kubernetes.common import compile_regexp
from skipperd.dataclients.kubernetes.model import (
    DEFAULT_LB_ALGORITHM,
    PATH_MODES,
    TRAFFIC_ALGORITHMS,
    AnnotationFilters,
    AnnotationPredicates,
    KubeOptions,
)
from skipperd.errors import ConfigError
from skipperd.eskip import ParseError, parse_filters, parse_predicates

T = TypeVar("T")


def _strings(v: Any) -> tuple[str, ...]:
    """A list flag, given as a tuple or as comma-separated text."""
    if v is None or v == "":
        return ()
    if isinstance(v, str):
        return tuple(s.strip() for s in v.split(",") if s.strip())
    return tuple(str(s) for s in v if str(s))


def _multi(v: Any) -> tuple[str, ...]:
    """A repeatable flag whose values may contain commas (eskip): one value per occurrence."""
    if v is None or v == "":
        return ()
    if isinstance(v, str):
        return (v,)
    return tuple(str(s) for s in v if str(s))


def _selector(v: Any) -> dict[str, str]:
    """``key=value,key2=value2`` (or a mapping) as a label selector."""
    if isinstance(v, dict):
        return {str(k): str(x) for k, x in v.items()}
    out = {}
    for item in _strings(v):
        k, _, x = item.partition("=")
        out[k.strip()] = x.strip()
    return out


def _annotation_config(flag: str, values: tuple[str, ...], make: Callable[[str, str, str], T]) -> tuple[T, ...]:
    """Skipper's ``key=value=eskip`` annotation flags; an empty value is skipped, a duplicate refused."""
    out: list[T] = []
    seen: set[str] = set()
    for kvv in values:
        if not kvv:
            continue
        key, sep, rest = kvv.partition("=")
        if not sep:
            raise ConfigError(f"-{flag}: invalid annotation flag: {kvv!r}, failed to get annotation key")
        value, sep, text = rest.partition("=")
        if not sep:
            raise ConfigError(f"-{flag}: invalid annotation flag: {kvv!r}, failed to get annotation value")
        try:
            item = make(key, value, text)
        except ParseError as e:
            raise ConfigError(f"-{flag}: invalid annotation flag value: {kvv!r}, {e}") from None
        if f"{key}={value}" in seen:
            raise ConfigError(f"-{flag}: invalid annotation flag: {kvv!r}, duplicate annotation key-value "
                              f"{key + '=' + value!r}")
        seen.add(f"{key}={value}")
        out.append(item)
    return tuple(out)


def _predicates(key: str, value: str, text: str) -> AnnotationPredicates:
    return AnnotationPredicates(key, value, tuple(p for p in parse_predicates(text) if p.name != "*"))


def _filters(key: str, value: str, text: str) -> AnnotationFilters:
    return AnnotationFilters(key, value, tuple(parse_filters(text)))


def from_settings(settings: Any, default_filters: dict[str, str] | None = None) -> KubeOptions:
    """The converter's options from the ``-kubernetes-*`` and related flags.

    Flags that the settings do not declare keep Skipper's defaults. Raises ``ConfigError`` for
    values Skipper refuses at start: an unknown path mode or traffic algorithm, a class or
    external-name regexp that does not compile, annotation flags that do not parse.
    """

    def get(name: str, default: Any) -> Any:
        return getattr(settings, name, default)

    path_mode = get("kubernetes_path_mode", "kubernetes-ingress") or "kubernetes-ingress"
    if path_mode not in PATH_MODES:
        raise ConfigError(f"-kubernetes-path-mode: invalid path mode string: {path_mode}")
    traffic = get("kubernetes_backend_traffic_algorithm", "traffic-predicate") or "traffic-predicate"
    if traffic not in TRAFFIC_ALGORITHMS:
        raise ConfigError(f"-kubernetes-backend-traffic-algorithm: invalid backend traffic algorithm: {traffic}")
    for flag, rx in (("kubernetes-ingress-class", get("kubernetes_ingress_class", "")),
                     ("kubernetes-routegroup-class", get("kubernetes_routegroup_class", ""))):
        if rx and compile_regexp(rx) is None:
            raise ConfigError(f"-{flag}: invalid regular expression {rx!r}")
    allowed = _multi(get("kubernetes_allowed_external_name", get("kubernetes_allowed_external_names", ())))
    for rx in allowed:
        if compile_regexp(rx) is None:
            raise ConfigError(f"-kubernetes-allowed-external-name: invalid regular expression {rx!r}")
    try:
        range_predicates = tuple(p for p in parse_predicates(get("kubernetes_east_west_range_predicates", "") or "")
                                 if p.name != "*")
    except ParseError as e:
        raise ConfigError(f"-kubernetes-east-west-range-predicates: {e}") from None
    code = int(get("kubernetes_https_redirect_code", 308) or 0)
    return KubeOptions(
        ingress_class=get("kubernetes_ingress_class", "") or "skipper",
        routegroup_class=get("kubernetes_routegroup_class", "") or "skipper",
        namespace=get("kubernetes_namespace", ""),
        path_mode=path_mode,
        ingress_label_selector=_selector(get("kubernetes_ingresses_label", None)),
        routegroup_label_selector=_selector(get("kubernetes_routegroups_label", None)),
        services_label_selector=_selector(get("kubernetes_services_label", None)),
        endpoints_label_selector=_selector(get("kubernetes_endpoints_label", None)),
        endpointslices_label_selector=_selector(get("kubernetes_endpointslices_label", None)),
        secrets_label_selector=_selector(get("kubernetes_secrets_label", None)),
        enable_endpointslices=bool(get("enable_kubernetes_endpointslices", False)),
        topology_zone=get("kubernetes_topology_zone", ""),
        force_service=bool(get("kubernetes_force_service", False)),
        enable_tls=bool(get("kubernetes_enable_tls", False)),
        provide_healthcheck=bool(get("kubernetes_healthcheck", True)),
        reverse_source_predicate=bool(get("reverse_source_predicate", False)),
        whitelisted_healthcheck_cidrs=_strings(get("whitelisted_healthcheck_cidr", "")),
        https_redirect=bool(get("kubernetes_https_redirect", True)),
        https_redirect_code=code if code > 0 else 308,
        disable_catchall_routes=bool(get("kubernetes_disable_catchall_routes", False)),
        east_west=bool(get("enable_kubernetes_east_west", False)),
        east_west_domain=get("kubernetes_east_west_domain", ""),
        east_west_range_domains=_strings(get("kubernetes_east_west_range_domains", ())),
        east_west_range_predicates=range_predicates,
        annotation_predicates=_annotation_config(
            "kubernetes-annotation-predicates", _multi(get("kubernetes_annotation_predicates", ())), _predicates),
        annotation_filters_append=_annotation_config(
            "kubernetes-annotation-filters-append", _multi(get("kubernetes_annotation_filters_append", ())),
            _filters),
        east_west_range_annotation_predicates=_annotation_config(
            "kubernetes-east-west-range-annotation-predicates",
            _multi(get("kubernetes_east_west_range_annotation_predicates", ())), _predicates),
        east_west_range_annotation_filters_append=_annotation_config(
            "kubernetes-east-west-range-annotation-filters-append",
            _multi(get("kubernetes_east_west_range_annotation_filters_append", ())), _filters),
        backend_name_tracing_tag=bool(get("opentracing_backend_name_tag", False)),
        enable_external_names=bool(get("enable_kubernetes_external_names", False)),
        external_name_preserve_host=bool(get("kubernetes_external_name_preserve_host", False)),
        only_allowed_external_names=bool(get("kubernetes_only_allowed_external_names", False)),
        allowed_external_names=allowed,
        backend_traffic_algorithm=traffic,
        default_lb_algorithm=get("kubernetes_default_lb_algorithm", DEFAULT_LB_ALGORITHM) or DEFAULT_LB_ALGORITHM,
        forward_backend_url=get("forward_backend_url", ""),
        application_annotation_label=get("kubernetes_application_annotation_label", ""),
        default_filters=dict(default_filters or {}),
    )
