"""From route definitions to runtime routes, and the invalid-route report.

A definition compiles when every predicate and filter exists and accepts its arguments, it has
at most one tree predicate (Path or PathSubtree), and its backend is usable (a network backend
is an http or https URL with a host; an LB backend has endpoints of one scheme and a known
algorithm). An invalid route is dropped alone and reported with the reason; nothing here raises
for a bad route, whatever its specs raise.

Duplicate ids: the last definition wins and each earlier one is reported, as when Skipper keys
the definitions of a source by id (the supervisor's merge applies the same rule across sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from skipperd import names
from skipperd.errors import InvalidArguments, UnknownSpec
from skipperd.eskip.route import Route
from skipperd.filters.base import FilterInstance, FilterSpec
from skipperd.predicates.base import PredicateInstance, PredicateSpec, always_matches, score_of
from skipperd.predicates.path import PathPattern
from skipperd.registry import Registry
from skipperd.routing.cache import SpecCache
from skipperd.routing.route import RuntimeRoute

TREE_PREDICATES = (names.PATH, names.PATH_SUBTREE)


@dataclass(frozen=True, slots=True)
class InvalidRouteReport:
    route_id: str
    reason: str


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _spec_failure(kind: str, name: str, e: Exception) -> _Invalid:
    if isinstance(e, UnknownSpec):
        return _Invalid(f"{kind} not found: {name!r}")
    if isinstance(e, InvalidArguments):
        return _Invalid(f"invalid arguments to {kind} {name}: {e.reason}")
    # A faulty spec must not take the table down with it.
    return _Invalid(f"failed to create {kind} {name}: {e!r}")


def compile_route(route: Route, predicates: Registry[PredicateSpec], filters: Registry[FilterSpec],
                  cache: SpecCache) -> RuntimeRoute:
    """Raises ``_Invalid`` with the reason; ``compile_routes`` turns it into a report."""
    residual: list[PredicateInstance] = []
    priority = 0
    path: PathPattern | None = None
    index: tuple[PredicateInstance, tuple[str, ...], bool] | None = None
    tree_count = 0
    for p in route.predicates:
        try:
            inst = cache.predicate(predicates, p)
        except Exception as e:
            raise _spec_failure("predicate", p.name, e) from None
        if p.name in TREE_PREDICATES:
            tree_count += 1
            if tree_count > 1:
                raise _Invalid("more than one tree predicate (Path, PathSubtree)")
            pattern = getattr(inst, "pattern", None)
            if not isinstance(pattern, PathPattern):
                raise _Invalid(f"predicate {p.name} does not provide a path pattern")
            path = pattern
            continue
        priority += score_of(inst)
        if always_matches(inst):
            continue
        hosts = getattr(inst, "index_hosts", ())
        if hosts:
            exact = getattr(inst, "index_exact", False) is True
            # Prefer an exact index predicate: it is then never evaluated per request.
            if index is None or (exact and not index[2]):
                index = (inst, tuple(hosts), exact)
        residual.append(inst)
    hosts_key: tuple[str, ...] = ()
    if index is not None:
        inst, hosts_key, exact = index
        if exact:
            residual.remove(inst)

    fs: list[FilterInstance] = []
    for position, f in enumerate(route.filters):
        try:
            fs.append(cache.filter(filters, f, route.id, position))
        except UnknownSpec:
            if f.name in predicates or f.name in TREE_PREDICATES:
                raise _Invalid(f"{f.name!r} is a predicate, not a filter") from None
            raise _Invalid(f"filter not found: {f.name!r}") from None
        except Exception as e:
            raise _spec_failure("filter", f.name, e) from None

    try:
        backend = cache.backend(route.backend)
    except ValueError as e:
        raise _Invalid(f"invalid backend: {e}") from None

    return RuntimeRoute(route, tuple(residual), tuple(fs), backend, priority, path, hosts_key)


def compile_routes(routes: Sequence[Route], predicates: Registry[PredicateSpec], filters: Registry[FilterSpec],
                   cache: SpecCache) -> tuple[list[RuntimeRoute], list[InvalidRouteReport]]:
    """Runtime routes in definition order, and a report for each definition dropped."""
    last = {r.id: i for i, r in enumerate(routes)}
    compiled: list[RuntimeRoute] = []
    reports: list[InvalidRouteReport] = []
    for i, r in enumerate(routes):
        if last[r.id] != i:
            reports.append(InvalidRouteReport(r.id, "duplicate route id, superseded by a later definition"))
            continue
        try:
            compiled.append(compile_route(r, predicates, filters, cache))
        except _Invalid as e:
            reports.append(InvalidRouteReport(r.id, e.reason))
    return compiled, reports


def validate(routes: Sequence[Route], predicates: Registry[PredicateSpec],
             filters: Registry[FilterSpec]) -> tuple[list[Route], list[InvalidRouteReport]]:
    """The definitions that compile, in their order, and a report for each one that does not.

    Filter arguments are checked with the specs' ``validate``; no filter instance is built."""
    cache = SpecCache(validate_only=True)
    cache.use(predicates, filters)
    compiled, reports = compile_routes(routes, predicates, filters, cache)
    return [r.definition for r in compiled], reports
