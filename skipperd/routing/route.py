"""Runtime routes and backends: what a definition becomes in a worker (Skipper's ``routing.Route``).

Everything a request needs is resolved here once per table build: spec instances, the bound
filter phases in the order they run, the backend's URLs parsed into scheme, host and port. The
request path reads attributes; it parses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple
from urllib.parse import urlsplit

from skipperd.eskip.route import Backend, BackendType, Route
from skipperd.filters.base import FilterInstance
from skipperd.http.context import FilterContext
from skipperd.http.request import Request
from skipperd.predicates.base import PredicateInstance
from skipperd.predicates.path import PathPattern

LB_ALGORITHMS = ("roundRobin", "random", "consistentHash", "powerOfRandomNChoices")
DEFAULT_LB_ALGORITHM = "roundRobin"
DEFAULT_PORTS = {"http": 80, "https": 443}


class EndpointKey(NamedTuple):
    """What a connection pool is keyed by (urllib3's ``PoolKey`` in small)."""

    scheme: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    zone: str = ""
    key: EndpointKey = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", EndpointKey(self.scheme, self.host, self.port))


class BackendKey(NamedTuple):
    """Equal for every route that sends to the same backend, e.g. for load-balancer state."""

    type: BackendType
    algorithm: str
    endpoints: tuple[EndpointKey, ...]


def parse_endpoint(url: str, zone: str = "") -> Endpoint:
    """``http(s)://host[:port][/...]`` -> Endpoint; raises ValueError with the reason."""
    try:
        u = urlsplit(url)
        scheme = u.scheme.lower()
        host = u.hostname
        port = u.port
    except ValueError as e:
        raise ValueError(f"invalid URL {url!r}: {e}") from None
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"invalid URL {url!r}: the scheme must be http or https")
    if not host:
        raise ValueError(f"invalid URL {url!r}: missing host")
    return Endpoint(scheme, host, port if port is not None else DEFAULT_PORTS[scheme], zone)


class RuntimeBackend:
    """A backend with its addresses parsed.

    Network backends have one endpoint (``address`` is the URL as written); LB backends have
    their endpoints and an algorithm (``roundRobin`` unless the route names one). Shunt,
    loopback, dynamic and forward backends have neither.
    """

    __slots__ = ("type", "address", "scheme", "host", "port", "endpoints", "algorithm", "key")

    def __init__(self, type: BackendType, address: str = "", endpoints: tuple[Endpoint, ...] = (),
                 algorithm: str = DEFAULT_LB_ALGORITHM) -> None:
        self.type = type
        self.address = address
        self.endpoints = endpoints
        self.algorithm = algorithm
        first = endpoints[0] if endpoints and type is BackendType.NETWORK else None
        self.scheme = first.scheme if first else ""
        self.host = first.host if first else ""
        self.port = first.port if first else 0
        self.key = BackendKey(type, algorithm, tuple(e.key for e in endpoints))

    @classmethod
    def compile(cls, b: Backend) -> "RuntimeBackend":
        """Raises ValueError with the reason when the backend is not usable."""
        if b.type is BackendType.NETWORK:
            return cls(b.type, b.address, (parse_endpoint(b.address),))
        if b.type is BackendType.LB:
            algorithm = b.algorithm or DEFAULT_LB_ALGORITHM
            if algorithm not in LB_ALGORITHMS:
                raise ValueError(f"unknown load-balancing algorithm {algorithm!r}, "
                                 f"expected one of {', '.join(LB_ALGORITHMS)}")
            if not b.endpoints:
                raise ValueError("load-balanced backend without endpoints")
            zones = b.zones or ("",) * len(b.endpoints)
            if len(zones) != len(b.endpoints):
                raise ValueError("load-balanced backend with a zone list that does not fit its endpoints")
            endpoints = tuple(parse_endpoint(u, z) for u, z in zip(b.endpoints, zones))
            if len({e.scheme for e in endpoints}) > 1:
                raise ValueError("load-balanced backend mixes http and https endpoints")
            return cls(b.type, "", endpoints, algorithm)
        return cls(b.type)

    def __repr__(self) -> str:
        return f"RuntimeBackend({self.type.value}, {self.address or [e.key for e in self.endpoints]})"


RequestPhase = Callable[[FilterContext], None]


class RuntimeRoute:
    """One route as the table serves it.

    ``predicates`` are the instances still checked per request, ``matchers`` their bound
    ``match`` methods; what the path tree and the host index decide (Path, PathSubtree, Host in
    the index form) and what always matches (True, Weight) is not among them. ``priority`` is the
    score that orders routes sharing a place in the tree: Weight(n) plus 1 for every other
    predicate, Path and PathSubtree not counted. ``hosts`` are the host index keys, empty for a
    route served from the generic tree. ``request_filters`` are the bound ``request`` methods in
    route order, ``response_filters`` the bound ``response`` methods in reverse order, each only
    for the instances that define the phase.
    """

    __slots__ = (
        "id", "definition", "predicates", "matchers", "filters", "request_filters", "response_filters",
        "backend", "priority", "path", "hosts", "error_filters", "cache_entries",
    )

    def __init__(self, definition: Route, predicates: tuple[PredicateInstance, ...],
                 filters: tuple[FilterInstance, ...], backend: RuntimeBackend, priority: int,
                 path: PathPattern | None, hosts: tuple[str, ...]) -> None:
        self.id = definition.id
        self.definition = definition
        self.predicates = predicates
        self.matchers: tuple[Callable[[Request], bool], ...] = tuple(p.match for p in predicates)
        if backend.type is BackendType.FORWARD:
            # Skipper: a <forward> route runs no filters; the proxy it forwards to runs them.
            filters = ()
        self.filters = filters
        # Only the phases an instance defines are called (skipperd/filters/base.py).
        self.request_filters: tuple[RequestPhase, ...] = tuple(
            p for p in (getattr(f, "request", None) for f in filters) if callable(p))
        self.response_filters: tuple[RequestPhase, ...] = tuple(
            p for p in (getattr(f, "response", None) for f in reversed(filters)) if callable(p))
        self.cache_entries: list[list[object]] = []  # its SpecCache entries (routing.cache)
        self.error_filters = any(getattr(f, "handle_error_response", False) for f in filters)
        self.backend = backend
        self.priority = priority
        self.path = path
        self.hosts = hosts

    def __repr__(self) -> str:
        return f"RuntimeRoute({self.id!r})"
