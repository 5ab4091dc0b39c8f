"""``Collector``: the metrics of one process, written into its shared-memory slot and/or StatsD.

It implements the ``Metrics`` interface for filters and the supervisor (custom keys), and the
fast ``observe``/``count``/``set`` on stored names (``skipperd.metrics.keys``) that the request
path uses. A histogram observation is a dict lookup, a ``bisect`` and two in-place word
updates on the slot (its bucket, its sum); nothing takes a lock or makes a system call.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left
from typing import Any, Sequence

from skipperd.metrics import keys
from skipperd.metrics.keys import COUNTER, GAUGE, HISTOGRAM

log = logging.getLogger("skipperd.metrics")

#: Prometheus' default buckets (client_golang DefBuckets), used when -histogram-metric-buckets is empty.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def bucket_bounds(prometheus_buckets: Sequence[float]) -> list[int]:
    """The histogram bounds in nanoseconds: the Prometheus buckets (exact), plus a finer scale
    (1 µs × √2ⁿ up to a minute) from which codahale percentiles are estimated."""
    prom = prometheus_buckets or DEFAULT_BUCKETS
    fine = {int(1000 * 2 ** (k / 2)) for k in range(0, 53)}
    prom_ns = {int(round(b * 1e9)) for b in prom if b > 0}
    return sorted(fine | prom_ns)


class Collector:
    """One process's metrics. ``slot`` is a ``skipperd.shm.slots.Slot`` or None; ``statsd`` a
    ``skipperd.metrics.statsd.Batch`` or None."""

    def __init__(self, slot: Any, statsd: Any, bounds_ns: Sequence[int]) -> None:
        self.slot = slot
        self.statsd = statsd
        self.words: Any = slot.words if slot is not None else None
        self.floats: Any = slot.floats if slot is not None else None
        self.bounds = [b / 1e9 for b in bounds_ns]  # seconds: no conversion per observation
        self._sum = len(self.bounds) + 1
        self._first: dict[str, int] = {}
        self._warned = False

    # --- the Metrics interface (filters, supervisor) ----------------------------------------------

    def measure_since(self, key: str, start: float) -> None:
        self.observe(keys.name("custom_timer", key), time.perf_counter() - start)

    def incr(self, key: str, n: int = 1) -> None:
        self.count(keys.name("custom_counter", key), n)

    def gauge(self, key: str, value: float) -> None:
        self.set(keys.name("custom_gauge", key), value)

    # --- stored names ------------------------------------------------------------------------------

    def _register(self, stored: str, kind: int) -> int:
        first = -1
        if self.slot is not None:
            first = self.slot.register(stored, kind)
            if first < 0 and not self._warned:
                self._warned = True
                log.warning("metrics slot %d is full: new metric names are dropped (first: %r)",
                            self.slot.index, keys.codahale_key(stored))
        self._first[stored] = first
        return first

    def observe(self, stored: str, seconds: float) -> None:
        first = self._first.get(stored)
        if first is None:
            first = self._register(stored, HISTOGRAM)
        if first >= 0:
            self.words[first + bisect_left(self.bounds, seconds)] += 1
            self.floats[first + self._sum] += seconds
        if self.statsd is not None:
            self.statsd.timing(stored, seconds)

    def count(self, stored: str, n: int = 1) -> None:
        first = self._first.get(stored)
        if first is None:
            first = self._register(stored, COUNTER)
        if first >= 0 and n > 0:
            self.words[first] += n
        if self.statsd is not None:
            self.statsd.incr(stored, n)

    def set(self, stored: str, value: float) -> None:
        first = self._first.get(stored)
        if first is None:
            first = self._register(stored, GAUGE)
        if first >= 0:
            self.floats[first] = float(value)
        if self.statsd is not None:
            self.statsd.gauge(stored, value)

    def close(self) -> None:
        if self.statsd is not None:
            self.statsd.flush()
        if self.slot is not None:
            self.slot.detach()
