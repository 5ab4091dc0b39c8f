"""The route table a worker serves from: runtime routes and their matcher, built in one go."""

from __future__ import annotations

from typing import Iterator, Sequence

from skipperd.eskip.route import Route
from skipperd.filters.base import FilterSpec
from skipperd.http.request import Request
from skipperd.predicates.base import PredicateSpec
from skipperd.registry import Registry
from skipperd.routing.cache import SpecCache
from skipperd.routing.compile import InvalidRouteReport, compile_routes
from skipperd.routing.matcher import Matcher
from skipperd.routing.route import RuntimeRoute


class RouteTable:
    """Immutable once built; a worker swaps whole tables between requests."""

    __slots__ = ("routes", "_by_id", "_matcher")

    def __init__(self, routes: Sequence[RuntimeRoute], ignore_trailing_slash: bool = False,
                 matcher: Matcher | None = None) -> None:
        self.routes: tuple[RuntimeRoute, ...] = tuple(routes)
        # Made by the first get(): a table swap that made it for nothing would cost a pass over
        # the routes (routing.incremental), and only tests and tools ask for a route by id.
        self._by_id: dict[str, RuntimeRoute] | None = None
        self._matcher = matcher if matcher is not None else Matcher(self.routes, ignore_trailing_slash)

    @property
    def matcher(self) -> Matcher:
        return self._matcher

    def match(self, request: Request) -> tuple[RuntimeRoute, dict[str, str]] | None:
        """The route for ``request`` and its path parameters, or ``None`` when none matches."""
        return self._matcher.match(request)

    def get(self, route_id: str) -> RuntimeRoute | None:
        by_id = self._by_id
        if by_id is None:
            by_id = self._by_id = {r.id: r for r in self.routes}
        return by_id.get(route_id)

    def __len__(self) -> int:
        return len(self.routes)

    def __iter__(self) -> Iterator[RuntimeRoute]:
        return iter(self.routes)


def build_table(routes: Sequence[Route], predicates: Registry[PredicateSpec], filters: Registry[FilterSpec],
                cache: SpecCache | None = None, *,
                ignore_trailing_slash: bool = False) -> tuple[RouteTable, list[InvalidRouteReport]]:
    """Compile ``routes`` (invalid ones dropped and reported) and index them for matching.

    Pass the worker's long-lived ``cache`` so that unchanged routes reuse their spec instances;
    what the new table does not use is dropped from it.
    """
    if cache is None:
        cache = SpecCache()
    cache.use(predicates, filters)
    cache.begin()
    compiled, reports = compile_routes(routes, predicates, filters, cache)
    cache.prune()
    return RouteTable(compiled, ignore_trailing_slash), reports
