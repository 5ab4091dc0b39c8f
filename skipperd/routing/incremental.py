"""Building a worker's next table from the previous one, in slices (table swaps that do not stall).

How it works
============

A worker gets every generation as a whole payload, but from one generation to the next most
routes are the same. ``IncrementalBuilder`` keeps, for the table it built last, each route's row
as its raw msgpack bytes (the encoding is deterministic: equal bytes are equal definitions),
with the route's id, its runtime route or its reason for being invalid, and its ``SpecCache``
entries. Building the next table is then work in proportion to what changed:

1. The payload is walked row by row without decoding it (``shm.codec.RowReader.next_raw``: the
   Unpacker skips over a row and gives its byte span). A row whose bytes were seen last time is
   looked up by them; only the other rows are decoded.
2. A row seen last time gives back the same ``RuntimeRoute`` object (same spec instances:
   per-route state lives on) and marks its cache entries used; only new rows are compiled. The
   rows of last time that are not met again are the removed routes. A route id defined twice
   keeps its last definition; the others are reported as superseded.
3. The builder keeps the table's routes by host (``""``: the routes without one). Only the hosts
   of added and removed routes get new path trees, built a few routes and a few nodes at a
   time; the other hosts' finished trees are taken from the previous matcher as they are
   (``Matcher.assemble``).
4. Instances that no route uses any more (those of removed routes only are checked) are closed
   when the cache is pruned, after the new table is complete. ``added`` and ``removed`` tell
   the worker what changed (the proxy closes the pools of endpoints that left with them).

``build(payload)`` is a generator: it yields every ``SLICE`` seconds or so of work, so that the
worker can serve requests in between (they use the old table until the new one is returned);
what runs after its last yield is a few dict copies and per-change updates. Driven to its end
without pausing, it is a plain full build. A payload that does not decode raises ``CodecError``
and leaves the builder as it was: the next build is still relative to the last good table.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Callable, Generator, Iterable, Iterator, NamedTuple

from skipperd.filters.base import FilterSpec
from skipperd.predicates.base import PredicateSpec
from skipperd.registry import Registry
from skipperd.routing.cache import SpecCache
from skipperd.routing.compile import InvalidRouteReport, _Invalid, compile_route
from skipperd.routing.matcher import Matcher, Node, Tree
from skipperd.routing.route import RuntimeRoute
from skipperd.routing.table import RouteTable
from skipperd.shm.codec import RowReader

SLICE = 0.005  # seconds of work between two yields
SUPERSEDED = "duplicate route id, superseded by a later definition"

Clock = Callable[[], float]


class _Row(NamedTuple):
    """What a row of the last table became."""

    key: bytes                       # its msgpack bytes
    id: str
    result: RuntimeRoute | str       # the runtime route, or why the route is invalid
    entries: list[list[Any]]         # its SpecCache entries (an invalid route's too)


class _Slicer:
    """Yields when a slice of work is used up."""

    __slots__ = ("clock", "seconds", "deadline")

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds
        self.deadline = clock() + seconds

    def due(self) -> bool:
        return self.clock() >= self.deadline

    def restart(self) -> None:
        self.deadline = self.clock() + self.seconds


class IncrementalBuilder:
    __slots__ = ("predicates", "filters", "cache", "ignore_trailing_slash", "_rows", "_by_host", "_table",
                 "table", "invalid", "meta", "reused", "compiled", "slice", "added", "removed", "_broken", "_refs")

    def __init__(self, predicates: Registry[PredicateSpec], filters: Registry[FilterSpec],
                 cache: SpecCache | None = None, ignore_trailing_slash: bool = False,
                 slice_seconds: float = SLICE) -> None:
        self.predicates = predicates
        self.filters = filters
        self.cache = cache if cache is not None else SpecCache()
        self.ignore_trailing_slash = ignore_trailing_slash
        self._rows: dict[bytes, _Row] = {}                        # raw row -> what it became
        self._by_host: dict[str, dict[str, RuntimeRoute]] = {}    # host ("" none) -> id -> route
        self._table: RouteTable | None = None
        self.table: RouteTable | None = None             # the result of the last build
        self.invalid: list[InvalidRouteReport] = []
        self.meta: dict[str, Any] = {}
        self.reused = 0
        self.compiled = 0
        self.slice = slice_seconds
        self.added: list[RuntimeRoute] = []    # routes compiled by the last build (new or changed)
        self.removed: list[RuntimeRoute] = []  # routes of the table before that the last build dropped
        self._broken = False  # a build failed after it added cache entries: the next prunes all
        self._refs: dict[int, int] = {}  # id of a SpecCache entry -> rows of the table that hold it

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
        prune_all = self._broken or (not self._rows and len(cache) > 0)
        cache.begin()
        s = _Slicer(time.monotonic, self.slice)
        reader = RowReader(payload)
        meta = reader.meta
        old = self._rows
        n = reader.count

        # 1-2. Rows by their bytes: a row seen last time is its route as it was, a new one is
        # decoded and compiled. What is not met again in ``left`` was removed.
        left = dict(old)
        pop = left.pop
        fresh: dict[bytes, _Row] = {}
        results: list[_Row] = []
        routes: list[RuntimeRoute] = []
        invalid: list[InvalidRouteReport] = []
        added: list[RuntimeRoute] = []
        last: dict[str, int] = {}
        i = 0
        while i < n:
            for key in reader.raws(64):
                got = pop(key, None)
                if got is None:
                    got = fresh.get(key) or old.get(key)  # the same row twice in this payload
                    if got is None:
                        got = fresh[key] = self._compile(reader, key, reader.decode(key))
                        if not isinstance(got.result, str):
                            added.append(got.result)
                result = got.result
                if isinstance(result, str):
                    invalid.append(InvalidRouteReport(got.id, result))
                else:
                    routes.append(result)
                results.append(got)
                last[got.id] = i
                i += 1
            if s.due():
                yield
                s.restart()
        superseded: list[_Row] = []
        if len(last) != n:
            routes, invalid, added, superseded = _supersede(results, last, old, left, fresh)
        compiled = len(fresh) + len(superseded)
        reused = n - compiled
        removed = [gone.result for gone in left.values() if isinstance(gone.result, RuntimeRoute)]

        # 3. The trees of the hosts that changed; the others are taken as they are.
        by_host = _changed_hosts(self._by_host, added, removed)
        prev = self._table
        trees: dict[str, Tree | None] = {}
        generic = prev.matcher.generic_tree() if prev is not None else None
        for h, group in by_host.items():
            tree = (yield from _tree(group.values(), self.ignore_trailing_slash, s)) if group else None
            if h:
                trees[h] = tree
            else:
                generic = tree
            if s.due():
                yield
                s.restart()
        if prune_all:
            for got in results:
                cache.touch(got.entries)
                if s.due():
                    yield
                    s.restart()

        # 4. The table, from the previous one's index and trees: nothing is changed in place
        # before the last yield, so a build that fails or is abandoned leaves no trace.
        hosts = dict(prev.matcher.trees()) if prev is not None else {}
        for h, tree in trees.items():
            if tree is None:
                hosts.pop(h, None)
            else:
                hosts[h] = tree
        matcher = Matcher.assemble(hosts, generic, self.ignore_trailing_slash)
        if s.due():
            yield
            s.restart()
        table = RouteTable(routes, self.ignore_trailing_slash, matcher)
        delta, held = yield from _count(fresh.values(), left.values(), s)
        gone = list(left)
        del left, results, last, reader, routes  # freed here rather than after the last yield
        yield

        # 5. Commit: work in proportion to the changes (or O(1) for a first table).
        unused = self._commit_counts(delta, held)
        for got in superseded:  # compiled, never counted
            unused += [e for e in got.entries if id(e) not in self._refs]
        if prune_all:
            cache.prune()  # entries of a failed build, or of a cache handed over: keep what is used
        else:
            cache.drop_entries(unused)
        if old:
            for key in gone:
                del old[key]
            old.update(fresh)
        else:
            self._rows = fresh
        for h, group in by_host.items():
            if group:
                self._by_host[h] = group
            else:
                self._by_host.pop(h, None)
        self._table = self.table = table
        self.invalid = invalid
        self.meta = meta
        self.reused, self.compiled = reused, compiled
        self.added, self.removed = added, removed
        self._broken = False

    def _commit_counts(self, delta: dict[int, int], held: dict[int, list[Any]]) -> list[list[Any]]:
        """Apply the changes of the rows that hold each cache entry; the entries no row holds
        any more (``held``: the entries of removed rows, by id)."""
        refs = self._refs
        if not refs:
            self._refs = delta  # a first table: nothing was removed
            return []
        unused: list[list[Any]] = []
        for k, d in delta.items():
            c = refs.get(k, 0) + d
            if c > 0:
                refs[k] = c
            else:
                refs.pop(k, None)
                e = held.get(k)
                if e is not None:
                    unused.append(e)
        return unused

    def _compile(self, reader: RowReader, key: bytes, row: Any) -> _Row:
        entries: list[list[Any]] = []
        cache = self.cache
        self._broken = True  # until the table is complete: the cache gets entries
        cache.collect = entries
        try:
            route = compile_route(reader.route(row), self.predicates, self.filters, cache)
            route.cache_entries = entries
            return _Row(key, row[0], route, entries)
        except _Invalid as e:
            return _Row(key, row[0], e.reason, entries)
        finally:
            cache.collect = None

    def build_now(self, payload: bytes) -> RouteTable:
        for _ in self.build(payload):
            pass
        assert self.table is not None
        return self.table


def _supersede(results: list[_Row], last: dict[str, int], old: dict[bytes, _Row], left: dict[bytes, _Row],
               fresh: dict[bytes, _Row]
               ) -> tuple[list[RuntimeRoute], list[InvalidRouteReport], list[RuntimeRoute], list[_Row]]:
    """Routes, reports and added routes again when a route id is defined more than once: the
    last definition wins. A superseded row of the last table goes back to ``left`` (removed),
    one compiled by this build is taken out of ``fresh`` and returned (unless the very same row
    is also the one kept)."""
    routes: list[RuntimeRoute] = []
    invalid: list[InvalidRouteReport] = []
    added: list[RuntimeRoute] = []
    superseded: list[_Row] = []
    for i, got in enumerate(results):
        key = got.key
        if last[got.id] != i:
            invalid.append(InvalidRouteReport(got.id, SUPERSEDED))
            if results[last[got.id]] is got:
                pass  # the very row that is kept, defined twice
            elif old.get(key) is got:
                left[key] = got
            elif fresh.get(key) is got:
                del fresh[key]
                superseded.append(got)
            continue
        result = got.result
        if isinstance(result, str):
            invalid.append(InvalidRouteReport(got.id, result))
        else:
            routes.append(result)
            if fresh.get(key) is got:
                added.append(result)
    return routes, invalid, added, superseded


def _count(added: Iterable[_Row], removed: Iterable[_Row], s: _Slicer
           ) -> Generator[None, None, tuple[dict[int, int], dict[int, list[Any]]]]:
    """How the number of rows holding each cache entry changes (by the entry's id), and the
    entries of the removed rows."""
    delta: dict[int, int] = {}
    held: dict[int, list[Any]] = {}
    k = 0
    for got in added:
        for e in got.entries:
            i = id(e)
            delta[i] = delta.get(i, 0) + 1
        k += 1
        if k & 255 == 0 and s.due():
            yield
            s.restart()
    for got in removed:
        for e in got.entries:
            i = id(e)
            delta[i] = delta.get(i, 0) - 1
            held[i] = e
    return delta, held


def _hosts_of(route: RuntimeRoute) -> tuple[str, ...]:
    return route.hosts or ("",)


def _changed_hosts(current: dict[str, dict[str, RuntimeRoute]], added: list[RuntimeRoute],
                   removed: list[RuntimeRoute]) -> dict[str, dict[str, RuntimeRoute]]:
    """The routes of every host that an added or removed route has, in the new table (copies:
    ``current`` is left as it is until the table is complete)."""
    out: dict[str, dict[str, RuntimeRoute]] = {}
    for r in removed:
        for h in _hosts_of(r):
            group = out.get(h)
            if group is None:
                group = out[h] = dict(current.get(h, ()))
            if group.get(r.id) is r:
                del group[r.id]
    for r in added:
        for h in _hosts_of(r):
            group = out.get(h)
            if group is None:
                group = out[h] = dict(current.get(h, ()))
            group[r.id] = r
    return out


def _tree(routes: Iterable[RuntimeRoute], trim: bool, s: _Slicer) -> Generator[None, None, Tree]:
    """The finished path tree of ``routes``, built a few routes and a few nodes at a time."""
    tree = Tree()
    k = 0
    for r in routes:
        tree.add(r, trim)
        k += 1
        if k & 127 == 0 and s.due():
            yield
            s.restart()
    stack: list[Node] = [tree.root]
    k = 0
    while stack:
        node = stack.pop()
        node.finish_own()
        stack += node.children()
        k += 1
        if k & 127 == 0 and s.due():
            yield
            s.restart()
    tree.finish_root_list()
    return tree
