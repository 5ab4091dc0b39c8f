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

from typing import NamedTuple, Sequence

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


class TableBuilder:
    """``build`` with a memory of the verdicts of the previous build, by ``Route`` object.

    ``forget()`` drops it (SIGHUP: everything is validated again, should a spec's verdict
    depend on something outside the definition)."""

    __slots__ = ("predicates", "filters", "_verdicts", "validated")

    def __init__(self, predicates: Registry[PredicateSpec], filters: Registry[FilterSpec]) -> None:
        self.predicates = predicates
        self.filters = filters
        self._verdicts: dict[int, tuple[Route, str]] = {}  # id(route) -> (route, "" or the reason)
        self.validated = 0  # routes validated by the last build

    def forget(self) -> None:
        self._verdicts = {}

    def build(self, loaded: Sequence[tuple[str, Sequence[Route]]]) -> Table:
        merged, invalid = merge(loaded)
        old = self._verdicts
        new: dict[int, tuple[Route, str]] = {}
        cache: SpecCache | None = None
        valid: list[Route] = []
        validated = 0
        for r, source in merged:
            k = id(r)
            got = old.get(k)
            if got is None:  # (the route is held here, so no other object has its id)
                if cache is None:
                    cache = SpecCache(validate_only=True)
                    cache.use(self.predicates, self.filters)
                got = (r, _verdict(r, self.predicates, self.filters, cache))
                validated += 1
            new[k] = got
            if got[1]:
                invalid.append(Invalid(r.id, got[1], source))
            else:
                valid.append(r)
        self._verdicts = new
        self.validated = validated
        return Table(valid, invalid)


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
