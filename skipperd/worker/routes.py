"""The worker's current route table, swapped between requests when a new generation is published.

``current()`` costs one aligned load from shared memory when nothing changed (the generation
word). The first table is built at once (nothing is served before it). When the supervisor
publishes a newer one, a background greenlet builds it with ``routing.incremental``: only the
routes that changed are compiled, unchanged ones keep their runtime route (and its filter
instances), and the work yields every few milliseconds, so requests go on being served from the
current table meanwhile and none waits for the build; the new table is swapped in between
requests when it is complete; ``on_swap(table, added, removed)`` is told the routes that
entered and left it, so that what it does (the proxy closes the pools of endpoints that left)
costs what changed too. A request already in flight keeps the table object it started
with (docs/architecture.md, invariant 2). A table that fails to decode or build is logged once
and skipped: the worker keeps serving the table it has.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

log = logging.getLogger("skipperd.worker")

PAUSE = 0.0001  # seconds slept between two slices of a build: the event loop serves what is ready


class TableHolder:
    __slots__ = ("reader", "generation", "table", "routes", "invalid", "_builder", "_on_swap", "_building",
                 "background", "_endpoints")

    def __init__(self, reader: Any, on_swap: Callable[[Any, list[Any], list[Any]], None] | None = None,
                 ignore_trailing_slash: bool = False, filter_options: Any = None,
                 reverse_source_predicate: bool = False) -> None:
        from skipperd import filters, predicates
        from skipperd.routing.incremental import IncrementalBuilder

        self.reader = reader
        self.generation = 0
        self.table: Any = None
        self.routes = 0
        self.invalid = 0
        self._builder = IncrementalBuilder(
            predicates.make_registry(predicates.PredicateOptions(
                shutdown=reader.shutdown, reverse_source=reverse_source_predicate)),
            filters.make_registry(filter_options or filters.FilterOptions(role=filters.options.WORKER)),
            ignore_trailing_slash=ignore_trailing_slash)
        self._on_swap = on_swap
        self._endpoints = getattr(filter_options, "endpoints", None)
        self._building: Any = None
        self.background = True  # build new generations in a greenlet (False: in the caller)

    def current(self) -> Any:
        if self.reader.generation() != self.generation:
            if self.table is None or not self.background:
                self.load()
            elif self._building is None:
                import gevent

                self._building = gevent.spawn(self._build_loop)
        return self.table

    def published(self) -> int:
        return int(self.reader.generation())

    def _build_loop(self) -> None:
        import gevent

        def pause() -> None:
            # A timer, not sleep(0): sleep(0) only queues a callback, and gevent runs up to 50
            # callbacks in a row before it polls sockets or runs timers, so the build's slices
            # would follow one another with no request served in between.
            gevent.sleep(PAUSE)

        try:
            while self.load(pause):
                pass
        finally:
            self._building = None

    def load(self, pause: Callable[[], Any] | None = None) -> bool:
        """Read and build the published table if it is newer; True when one was swapped in.

        ``pause`` is called between slices of the build (a short ``gevent.sleep``: serve requests)."""
        got = self.reader.read()
        if got is None:
            return False
        gen, payload = got
        if gen == self.generation:
            return False
        t0 = time.monotonic()
        if pause is not None:
            pause()  # reading copied and checked the payload (1-2 ms for 10,000 routes)
        b = self._builder
        slices = 0
        try:
            for _ in b.build(payload):
                slices += 1
                if pause is not None:
                    pause()
        except Exception:
            # Do not retry this generation on every request; the next publication gets a chance.
            log.exception("cannot build route table generation %d; keeping generation %d", gen, self.generation)
            self.generation = gen
            return False
        assert b.table is not None
        if self._endpoints is not None:  # fadeIn: when each load-balanced endpoint was first seen
            self._endpoints.observe([f"{e.key.scheme}://{e.key.host}:{e.key.port}"
                                     for r in b.added for e in r.backend.endpoints])
        self.table = b.table
        self.generation = gen
        self.routes = len(b.table)
        self.invalid = len(b.invalid)
        if self._on_swap is not None:
            self._on_swap(b.table, b.added, b.removed)
        log.info("route table generation %d: %d routes (%d invalid), %d compiled, %d kept, built in %.0f ms "
                 "(%d slices)", gen, self.routes, self.invalid, b.compiled, b.reused,
                 (time.monotonic() - t0) * 1000, slices + 1)
        return True
