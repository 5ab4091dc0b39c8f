"""Building a worker's next table from the previous one, in slices (table swaps that do not stall).

How it works
============

A worker gets every generation as a whole payload, but from one generation to the next most
routes are the same. ``IncrementalBuilder`` keeps, for the table it built last, each route's raw
row (the msgpack tuple: equal rows are equal definitions) with its runtime route or its reason
for being invalid. Building the next table then reads the payload row by row
(``shm.codec.RowReader``); a row seen last time gives back the same ``RuntimeRoute`` object
(same spec instances: per-route state lives on) and marks its ``SpecCache`` entries used; only
new rows are compiled. The hosts of added and removed routes are the only host trees the
matcher rebuilds (``Matcher(prev=..., changed=...)``). Instances that no route uses any more are
closed when the cache is pruned, after the new table is complete.

``build(payload)`` is a generator: it yields every ``SLICE`` seconds or so of work, so that the
worker can serve requests in between (they use the old table until the new one is returned).
Driven to its end without pausing, it is a plain full build.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Generator, Iterator

from skipperd.filters.base import FilterSpec
from skipperd.predicates.base import PredicateSpec
from skipperd.registry import Registry
from skipperd.routing.cache import SpecCache
from skipperd.routing.compile import InvalidRouteReport, _Invalid, compile_route
from skipperd.routing.matcher import Matcher, Tree, build_trees
from skipperd.routing.route import RuntimeRoute
from skipperd.routing.table import RouteTable
from skipperd.shm.codec import RowReader

SLICE = 0.005  # seconds of work between two yields


class IncrementalBuilder:
    __slots__ = ("predicates", "filters", "cache", "ignore_trailing_slash", "_rows", "_table",
                 "table", "invalid", "meta", "reused", "compiled", "slice", "added")

    def __init__(self, predicates: Registry[PredicateSpec], filters: Registry[FilterSpec],
                 cache: SpecCache | None = None, ignore_trailing_slash: bool = False,
                 slice_seconds: float = SLICE) -> None:
        self.predicates = predicates
        self.filters = filters
        self.cache = cache if cache is not None else SpecCache()
        self.ignore_trailing_slash = ignore_trailing_slash
        self._rows: dict[Any, RuntimeRoute | str] = {}   # row -> runtime route or invalid reason
        self._table: RouteTable | None = None
        self.table: RouteTable | None = None             # the result of the last build
        self.invalid: list[InvalidRouteReport] = []
        self.meta: dict[str, Any] = {}
        self.reused = 0
        self.compiled = 0
        self.slice = slice_seconds
        self.added: list[RuntimeRoute] = []  # routes compiled by the last build (new or changed)

    def build(self, payload: bytes) -> Iterator[None]:
        """Build the table of ``payload``; yields between slices. Raises ``CodecError``.

        The cyclic garbage collector is off while it runs, and what exists when it ends is
        frozen (``gc.freeze``): a table is tens of thousands of long-lived acyclic objects, and
        a full collection walking them (hundreds of milliseconds for 10,000 routes) would stall
        the worker after every swap."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield from self._build(payload)
            gc.freeze()
        finally:
            if enabled:
                gc.enable()

    def _build(self, payload: bytes) -> Iterator[None]:
        cache = self.cache
        cache.use(self.predicates, self.filters)
        cache.begin()
        clock = time.monotonic
        deadline = clock() + self.slice
        reader = RowReader(payload)
        old = self._rows
        rows: list[Any] = []
        last: dict[str, int] = {}
        for i in range(reader.count):
            row = reader.next_row()
            rows.append(row)
            last[row[0]] = i
            if i & 63 == 0 and clock() >= deadline:
                yield
                deadline = clock() + self.slice
        new: dict[Any, RuntimeRoute | str] = {}
        routes: list[RuntimeRoute] = []
        invalid: list[InvalidRouteReport] = []
        changed: set[str] = set()
        reused = compiled = 0
        added: list[RuntimeRoute] = []
        kept: set[int] = set()
        for i, row in enumerate(rows):
            if i & 15 == 0 and clock() >= deadline:
                yield
                deadline = clock() + self.slice
            rid = row[0]
            if last[rid] != i:
                invalid.append(InvalidRouteReport(rid, "duplicate route id, superseded by a later definition"))
                continue
            got = old.get(row)
            if got is None:
                compiled += 1
                entries: list[list[Any]] = []
                cache.collect = entries
                try:
                    got = compile_route(reader.route(row), self.predicates, self.filters, cache)
                    got.cache_entries = entries
                    added.append(got)
                    _changed(changed, got)
                except _Invalid as e:
                    got = e.reason
                finally:
                    cache.collect = None
            else:
                reused += 1
                if isinstance(got, RuntimeRoute):
                    cache.touch(got.cache_entries)
                    kept.add(id(got))
            new[row] = got
            if isinstance(got, str):
                invalid.append(InvalidRouteReport(rid, got))
            else:
                routes.append(got)
        dropped: list[list[Any]] = []
        for gone in old.values():
            if isinstance(gone, RuntimeRoute) and id(gone) not in kept:
                _changed(changed, gone)
                dropped += gone.cache_entries
        prev = self._table.matcher if self._table is not None else None
        matcher = yield from _matcher(routes, self.ignore_trailing_slash, prev, changed, clock, self.slice)
        if clock() >= deadline:
            yield
        table = RouteTable(routes, self.ignore_trailing_slash, matcher)
        if old:
            cache.prune_entries(dropped)
        else:
            cache.prune()
        self._rows = new
        self._table = self.table = table
        self.invalid = invalid
        self.meta = reader.meta
        self.reused, self.compiled = reused, compiled
        self.added = added

    def build_now(self, payload: bytes) -> RouteTable:
        for _ in self.build(payload):
            pass
        assert self.table is not None
        return self.table


def _changed(changed: set[str], route: RuntimeRoute) -> None:
    if route.hosts:
        changed.update(route.hosts)
    else:
        changed.add("")


def _matcher(routes: list[RuntimeRoute], trim: bool, prev: Matcher | None, changed: set[str],
             clock: Any, slice_seconds: float) -> Generator[None, None, Matcher]:
    """The matcher of ``routes``: the host trees that did not change are taken from ``prev``;
    when many must be built, they are built a group of hosts at a time, yielding in between."""
    known: dict[str, Tree] = {}
    generic: Tree | None = None
    if prev is not None:
        known = {h: t for h, t in prev.trees().items() if h not in changed}
        if "" not in changed:
            generic = prev.generic_tree()
    todo: dict[str, list[RuntimeRoute]] = {}
    n = 0
    deadline = clock() + slice_seconds
    for r in routes:
        n += 1
        if n & 255 == 0 and clock() >= deadline:
            yield
            deadline = clock() + slice_seconds
        for h in r.hosts:
            if h not in known:
                group = todo.get(h)
                if group is None:
                    group = todo[h] = []
                group.append(r)
    if len(todo) > 16:
        batch: list[RuntimeRoute] = []
        own: list[str] = []
        for h, group in todo.items():
            batch += group
            own.append(h)
            if len(batch) >= 256:
                _add_trees(known, build_trees(batch, trim), own)
                batch, own = [], []
                if clock() >= deadline:
                    yield
                    deadline = clock() + slice_seconds
        if batch:
            _add_trees(known, build_trees(batch, trim), own)
    return Matcher(routes, trim, known, generic)


def _add_trees(known: dict[str, Tree], trees: dict[str, Tree], own: list[str]) -> None:
    """Take the batch's own hosts' trees: a route with several hosts also made trees of its
    other hosts in the batch, which hold only that route."""
    for h in own:
        known[h] = trees[h]
