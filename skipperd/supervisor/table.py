"""From the definitions of all sources to the table that is published (pure, no I/O).

Merging, on a route id that occurs more than once: the later definition wins. Sources are merged
in the order routes file, then inline routes, so ``-inline-routes`` (the operator's command line)
overrides a file route of the same id, as flags override the config file; inside one source the
last definition wins, as in Skipper, where routing keys the definitions by id. A definition that
loses is not silent: it is listed with the invalid routes, with the reason.

Validation is ``routing.compile.validate`` over the merged set: a route it rejects is dropped alone.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from skipperd.eskip.route import Route
from skipperd.filters.base import FilterSpec
from skipperd.predicates.base import PredicateSpec
from skipperd.registry import Registry
from skipperd.routing.compile import validate


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


def build(loaded: Sequence[tuple[str, Sequence[Route]]], predicates: Registry[PredicateSpec],
          filters: Registry[FilterSpec]) -> Table:
    merged, invalid = merge(loaded)
    source_of = {r.id: s for r, s in merged}
    valid, reports = validate([r for r, _ in merged], predicates, filters)
    invalid += [Invalid(rep.route_id, rep.reason, source_of.get(rep.route_id, "")) for rep in reports]
    return Table(list(valid), invalid)
