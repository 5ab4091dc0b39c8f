"""The worker's current route table, swapped between requests when a new generation is published.

``current()`` costs one aligned load from shared memory when nothing changed (the generation
word). When the supervisor published a newer table, the first request after it reads, decodes
and builds the new table and swaps it in; a request already in flight keeps the table object it
started with (docs/architecture.md, invariant 2). A table that fails to decode or build is logged
once and skipped: the worker keeps serving the table it has.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

log = logging.getLogger("skipperd.worker")


class TableHolder:
    __slots__ = ("reader", "generation", "table", "routes", "invalid", "_predicates", "_filters", "_cache",
                 "_on_swap", "_ignore_trailing_slash")

    def __init__(self, reader: Any, on_swap: Callable[[Any], None] | None = None,
                 ignore_trailing_slash: bool = False, filter_options: Any = None,
                 reverse_source_predicate: bool = False) -> None:
        from skipperd import filters, predicates
        from skipperd.routing.cache import SpecCache

        self.reader = reader
        self.generation = 0
        self.table: Any = None
        self.routes = 0
        self.invalid = 0
        self._predicates = predicates.make_registry(predicates.PredicateOptions(
            shutdown=reader.shutdown, reverse_source=reverse_source_predicate))
        self._filters = filters.make_registry(filter_options or filters.FilterOptions(role=filters.options.WORKER))
        self._cache = SpecCache()
        self._on_swap = on_swap
        self._ignore_trailing_slash = ignore_trailing_slash

    def current(self) -> Any:
        if self.reader.generation() != self.generation:
            self.load()
        return self.table

    def published(self) -> int:
        return int(self.reader.generation())

    def load(self) -> bool:
        """Read, decode and build the published table if it is newer; True when one was swapped in."""
        from skipperd.routing.table import build_table
        from skipperd.shm.codec import decode_table

        got = self.reader.read()
        if got is None:
            return False
        gen, payload = got
        if gen == self.generation:
            return False
        t0 = time.monotonic()
        try:
            routes, _meta = decode_table(payload)
            table, invalid = build_table(routes, self._predicates, self._filters, self._cache,
                                         ignore_trailing_slash=self._ignore_trailing_slash)
        except Exception:
            # Do not retry this generation on every request; the next publication gets a chance.
            log.exception("cannot build route table generation %d; keeping generation %d", gen, self.generation)
            self.generation = gen
            return False
        self.table = table
        self.generation = gen
        self.routes = len(routes) - len(invalid)
        self.invalid = len(invalid)
        if self._on_swap is not None:
            self._on_swap(table)
        log.info("route table generation %d: %d routes (%d invalid) built in %.0f ms", gen, self.routes,
                 self.invalid, (time.monotonic() - t0) * 1000)
        return True
