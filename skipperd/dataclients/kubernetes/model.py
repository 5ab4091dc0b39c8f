"""The values the converter works on: the cluster's objects, the options, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from skipperd.eskip.parser import go_quote as go_quote  # Go's %q: one implementation for every message
from skipperd.eskip.route import Filter, Predicate, Route

#: A raw Kubernetes object, exactly as the API server's JSON decodes.
KubeObject = dict[str, Any]

DEFAULT_EAST_WEST_DOMAIN = "skipper.cluster.local"
DEFAULT_LB_ALGORITHM = "roundRobin"
PATH_MODES = ("kubernetes-ingress", "path-regexp", "path-prefix")
TRAFFIC_ALGORITHMS = ("traffic-predicate", "traffic-segment-predicate")


@dataclass(frozen=True, slots=True)
class ClusterState:
    """Everything one full list of the API returned, as raw JSON objects.

    ``routegroups_available`` is False when the ``zalando.org/v1`` resource list lacks
    ``routegroups`` or could not be read: RouteGroups are then skipped (Skipper logs it and goes
    on). The converter applies the namespace and label-selector options itself, so a raw
    cluster-wide list is converted correctly too.
    """

    ingresses: tuple[KubeObject, ...] = ()
    routegroups: tuple[KubeObject, ...] = ()
    services: tuple[KubeObject, ...] = ()
    endpoints: tuple[KubeObject, ...] = ()
    endpointslices: tuple[KubeObject, ...] = ()
    secrets: tuple[KubeObject, ...] = ()
    routegroups_available: bool = True


@dataclass(frozen=True, slots=True)
class AnnotationPredicates:
    """When an object's annotation ``key`` equals ``value``, its routes get ``predicates``."""

    key: str
    value: str
    predicates: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class AnnotationFilters:
    """When an object's annotation ``key`` equals ``value``, ``filters`` are appended to its routes."""

    key: str
    value: str
    filters: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class KubeOptions:
    """Skipper's Kubernetes data-client options (``kubernetes.Options``), defaults as Skipper's.

    Label selectors are ``label -> value`` maps (an empty value matches any value of a present
    label). ``default_filters`` maps ``"<service>.<namespace>"`` to the eskip filter chain of the
    default-filters file of that name; reading the directory is the caller's I/O.
    """

    ingress_class: str = "skipper"            # regexp, unanchored; "" means the default
    routegroup_class: str = "skipper"         # regexp, unanchored; "" means the default
    namespace: str = ""                       # "" means cluster-wide
    path_mode: str = "kubernetes-ingress"     # one of PATH_MODES
    ingress_label_selector: Mapping[str, str] = field(default_factory=dict)
    routegroup_label_selector: Mapping[str, str] = field(default_factory=dict)
    services_label_selector: Mapping[str, str] = field(default_factory=dict)
    endpoints_label_selector: Mapping[str, str] = field(default_factory=dict)
    endpointslices_label_selector: Mapping[str, str] = field(default_factory=dict)
    secrets_label_selector: Mapping[str, str] = field(default_factory=dict)
    enable_endpointslices: bool = False
    topology_zone: str = ""
    force_service: bool = False
    enable_tls: bool = False
    provide_healthcheck: bool = False
    reverse_source_predicate: bool = False
    whitelisted_healthcheck_cidrs: tuple[str, ...] = ()
    https_redirect: bool = False
    https_redirect_code: int = 308
    disable_catchall_routes: bool = False
    east_west: bool = False
    east_west_domain: str = ""                # "" means DEFAULT_EAST_WEST_DOMAIN
    east_west_range_domains: tuple[str, ...] = ()
    east_west_range_predicates: tuple[Predicate, ...] = ()
    annotation_predicates: tuple[AnnotationPredicates, ...] = ()
    annotation_filters_append: tuple[AnnotationFilters, ...] = ()
    east_west_range_annotation_predicates: tuple[AnnotationPredicates, ...] = ()
    east_west_range_annotation_filters_append: tuple[AnnotationFilters, ...] = ()
    backend_name_tracing_tag: bool = False
    enable_external_names: bool = False
    external_name_preserve_host: bool = False
    only_allowed_external_names: bool = False
    allowed_external_names: tuple[str, ...] = ()   # regexps
    backend_traffic_algorithm: str = "traffic-predicate"  # one of TRAFFIC_ALGORITHMS
    default_lb_algorithm: str = DEFAULT_LB_ALGORITHM
    forward_backend_url: str = ""
    application_annotation_label: str = ""
    default_filters: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def from_settings(settings: Any, default_filters: Mapping[str, str] | None = None) -> KubeOptions:
        """From skipperd's settings (Skipper's ``-kubernetes-*`` flags); raises ``ConfigError``.

        ``default_filters`` is what the caller read from ``-default-filters-dir``
        (``skipperd.dataclients.default_filters_dir``).
        """
        from skipperd.dataclients.kubernetes.settings import from_settings

        return from_settings(settings, dict(default_filters or {}))


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A line Skipper would log while converting: level, message and sorted key=value fields.

    ``str()`` gives logrus' text form without the time, e.g.
    ``level=error msg="Failed to get service bar, baz" kind=Ingress name=qux ns=foo``.
    """

    level: str  # "info", "warning" or "error"
    message: str
    fields: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        parts = [f"level={self.level}", f"msg={_logfmt(self.message)}"]
        parts.extend(f"{k}={_logfmt(v)}" for k, v in sorted(self.fields))
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Conversion:
    """The routes of one conversion, in Skipper's order and unique by id, and what it logged."""

    routes: tuple[Route, ...]
    log: tuple[LogEntry, ...] = ()


_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._/@^+")


def _logfmt(value: str) -> str:
    """logrus' text formatter: bare when every character is plain (or there is none), else Go's %q."""
    if all(c in _PLAIN for c in value):
        return value
    return go_quote(value)

