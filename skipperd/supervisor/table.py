"""From the definitions of all sources to the table that is published (pure, no I/O).

Merging, on a route id that occurs more than once: the later definition wins. Sources are merged
in the order routes file, then inline routes, so ``-inline-routes`` (the operator's command line)
overrides a file route of the same id, as flags override the config file; inside one source the
last definition wins, as in Skipper, where routing keys the definitions by id. A definition that
loses is not silent: it is listed with the invalid routes, with the reason.

Validation is ``routing.compile`` over the merged set: a route it rejects is dropped alone.
``TableBuilder`` remembers each route's verdict by the ``Route`` object, so that after a change
only the definitions the sources made anew are validated (a routes file or a Kubernetes source
hands out the same object for an unchanged definition): with 10,000 routes, one change costs one
route's validation instead of 10,000.
"""

from __future__ import annotations

from itertools import chain, compress
from operator import attrgetter, not_
from typing import NamedTuple, Sequence, cast

from skipperd.eskip.route import Route
from skipperd.filters.base import FilterSpec
from skipperd.predicates.base import PredicateSpec
from skipperd.registry import Registry
from skipperd.routing.cache import SpecCache
from skipperd.routing.compile import _Invalid, compile_route


class Invalid(NamedTuple):
    route_id: str
    reason: str
    source: str


class Table(NamedTuple):
    routes: list[Route]
    invalid: list[Invalid]


def merge(loaded: Sequence[tuple[str, Sequence[Route]]]) -> tuple[list[tuple[Route, str]], list[Invalid]]:
    """Definitions by id, later ones winning, with their source; and the ones that lost."""
    by_id: dict[str, tuple[Route, str]] = {}
    lost: list[Invalid] = []
    for source, routes in loaded:
        for r in routes:
            prev = by_id.get(r.id)
            if prev is not None:
                where = "later in the same source" if prev[1] == source else f"in {source}"
                lost.append(Invalid(r.id, f"duplicate route id, replaced by the definition {where}", prev[1]))
            by_id[r.id] = (r, source)
    return list(by_id.values()), lost


_ID = attrgetter("id")


class TableBuilder:
    """``build`` with a memory of the verdicts of the previous build, by ``Route`` object.

    After a change most routes are the objects of the previous build, so a build is a few passes
    that run in C (``map`` over the routes: their ids, their remembered verdicts) and Python code
    only for the routes not seen before: 10,000 routes with one changed cost about a millisecond
    besides that route's validation. ``forget()`` drops the memory (SIGHUP: everything is
    validated again, should a spec's verdict depend on something outside the definition)."""

    __slots__ = ("predicates", "filters", "_verdicts", "_held", "validated")

    def __init__(self, predicates: Registry[PredicateSpec], filters: Registry[FilterSpec]) -> None:
        self.predicates = predicates
        self.filters = filters
        self._verdicts: dict[int, str] = {}  # id(route) -> "" or the reason it is invalid
        self._held: list[Route] = []  # the routes _verdicts describes: alive, so their ids are theirs
        self.validated = 0  # routes validated by the last build

    def forget(self) -> None:
        self._verdicts = {}
        self._held = []

    def build(self, loaded: Sequence[tuple[str, Sequence[Route]]]) -> Table:
        routes: list[Route] = list(chain.from_iterable(rs for _, rs in loaded))
        ids = list(map(_ID, routes))
        invalid: list[Invalid] = []
        sources: list[str] | None = None
        if len(set(ids)) != len(ids):  # ids defined twice: merge them (the later one wins)
            merged, invalid = merge(loaded)
            routes = [r for r, _ in merged]
            sources = [s for _, s in merged]
        keys = list(map(id, routes))
        verdicts: list[str | None] = list(map(self._verdicts.get, keys))
        validated = verdicts.count(None)
        if validated:
            cache = SpecCache(validate_only=True)
            cache.use(self.predicates, self.filters)
            i = -1
            for _ in range(validated):
                i = verdicts.index(None, i + 1)
                verdicts[i] = _verdict(routes[i], self.predicates, self.filters, cache)
        self._verdicts = dict(zip(keys, cast("list[str]", verdicts)))  # no None left
        self._held = routes
        self.validated = validated
        if not any(verdicts):
            return Table(routes, invalid)
        if sources is None:
            sources = [name for name, rs in loaded for _ in rs]
        for i in compress(range(len(routes)), verdicts):
            invalid.append(Invalid(routes[i].id, verdicts[i] or "", sources[i]))
        return Table(list(compress(routes, map(not_, verdicts))), invalid)


def _verdict(r: Route, predicates: Registry[PredicateSpec], filters: Registry[FilterSpec], cache: SpecCache) -> str:
    """"" for a valid route, else why it is not (``routing.compile``'s reasons)."""
    try:
        compile_route(r, predicates, filters, cache)
    except _Invalid as e:
        return e.reason
    return ""


def build(loaded: Sequence[tuple[str, Sequence[Route]]], predicates: Registry[PredicateSpec],
          filters: Registry[FilterSpec]) -> Table:
    """One build without memory (tests, the conformance command)."""
    return TableBuilder(predicates, filters).build(loaded)
