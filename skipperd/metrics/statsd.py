"""StatsD through the ``statsd`` package, batched per process.

A request only updates dicts in memory: counters are summed, gauges keep their last value, and
timings keep up to ``SAMPLES`` values per name and flush (a uniform reservoir; past it, the
values sent carry StatsD's ``|@rate`` so the daemon scales the count back up). ``flush()``
turns what was gathered into one ``statsd`` pipeline, which packs the lines into datagrams of
at most ``MAX_DATAGRAM`` bytes: a few ``sendto`` calls per flush, none per request. The
process calls ``flush()`` every ``-statsd-flush-interval`` (at most a second) and once more
when it stops.

Names are Skipper's codahale keys under ``-statsd-prefix``: ``skipper.routelookup``,
``skipper.all.response.200.GET.skipper``; timings in milliseconds.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Callable

import statsd

from skipperd.config import parse_address
from skipperd.metrics.keys import codahale_key

log = logging.getLogger("skipperd.metrics")

SAMPLES = 256        # timing values kept per name and flush
MAX_DATAGRAM = 1432  # bytes: one Ethernet frame


class _Timing:
    __slots__ = ("seen", "values")

    def __init__(self) -> None:
        self.seen = 0
        self.values: list[float] = []


class Batch:
    def __init__(self, address: str, prefix: str) -> None:
        host, port = parse_address(address)
        self.client = statsd.StatsClient(host or "127.0.0.1", port, prefix=prefix or None,
                                         maxudpsize=MAX_DATAGRAM, ipv6=":" in host)
        self.counters: dict[str, int] = {}
        self.gauges: dict[str, float] = {}
        self.timings: dict[str, _Timing] = {}
        self._names: dict[str, str] = {}

    # --- per request: memory only ----------------------------------------------------------------

    def incr(self, stored: str, n: int = 1) -> None:
        c = self.counters
        c[stored] = c.get(stored, 0) + n

    def gauge(self, stored: str, value: float) -> None:
        self.gauges[stored] = value

    def timing(self, stored: str, seconds: float) -> None:
        t = self.timings.get(stored)
        if t is None:
            t = self.timings[stored] = _Timing()
        t.seen += 1
        values = t.values
        if len(values) < SAMPLES:
            values.append(seconds)
        else:
            j = int(random.random() * t.seen)
            if j < SAMPLES:
                values[j] = seconds

    # --- per flush ---------------------------------------------------------------------------------

    def _name(self, stored: str) -> str:
        n = self._names.get(stored)
        if n is None:
            n = codahale_key(stored)
            if len(self._names) < 100000:
                self._names[stored] = n
        return n

    def flush(self) -> int:
        """Send what was gathered; returns the number of lines."""
        counters, self.counters = self.counters, {}
        gauges, self.gauges = self.gauges, {}
        timings, self.timings = self.timings, {}
        if not (counters or gauges or timings):
            return 0
        pipe: Any = self.client.pipeline()
        lines = 0
        for k, n in counters.items():
            pipe.incr(self._name(k), n)
            lines += 1
        for k, v in gauges.items():
            pipe.gauge(self._name(k), v)
            lines += 1
        for k, t in timings.items():
            name = self._name(k)
            if t.seen <= len(t.values):
                for v in t.values:
                    pipe.timing(name, v * 1000.0)
            else:
                # The statsd package would drop values itself when given a rate: write the
                # sampled line whole instead.
                rate = len(t.values) / t.seen
                for v in t.values:
                    pipe._send_stat(name, f"{v * 1000.0:0.6f}|ms|@{rate:.6f}", 1)
            lines += len(t.values)
        try:
            pipe.send()
        except OSError as e:  # the statsd package swallows most; a resolver error may not be
            log.warning("sending StatsD datagrams failed: %s", e)
        return lines

    def run(self, interval: float, sleep: Callable[[float], Any], alive: Callable[[], bool]) -> None:
        """Flush every ``interval`` seconds while ``alive()``; for a greenlet or a thread."""
        while alive():
            sleep(interval)
            try:
                self.flush()
            except Exception:
                log.exception("StatsD flush failed")

    def close(self) -> None:
        self.flush()
        self.client.close()
