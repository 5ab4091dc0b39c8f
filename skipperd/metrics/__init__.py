"""Metrics: what skipperd measures, how it is kept per worker, and how it is shipped.

The interface is three methods; the proxy, the route supervisor and the
filters (through ``FilterOptions.metrics``) all get an object that has them:

    measure_since(key, start)   a duration: ``start`` is a ``time.perf_counter()`` reading
    incr(key, n=1)              a counter
    gauge(key, value)           a value that goes up and down

Keys are Skipper's codahale keys (``routelookup``, ``backend.<route>``, ``all.response.200.GET.skipper``;
upstream docs/operation/operation.md); a filter's own keys go under ``<filter>.custom.<key>``
(``custom_key``). Two back ends can run together:

* per-host shared memory (``skipperd.shm.slots``): every worker has a slot of counters and
  histogram buckets that it updates in place, with no lock and no system call; the support
  listener sums the slots when ``/metrics`` is scraped and renders codahale JSON or Prometheus
  text (``-metrics-flavour``). The arbiter hands out slot numbers, and a restarted worker takes
  its predecessor's slot, so counters never go back;
* StatsD (``-statsd-address``): the worker aggregates in memory and a greenlet sends pipelined
  datagrams every ``-statsd-flush-interval`` (at most a second), so a request costs no system
  call for metrics.

``NULL`` does nothing: it stands in when metrics are off and in tests.
"""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    def measure_since(self, key: str, start: float) -> None: ...

    def incr(self, key: str, n: int = 1) -> None: ...

    def gauge(self, key: str, value: float) -> None: ...


class NullMetrics:
    """Metrics that go nowhere."""

    __slots__ = ()

    def measure_since(self, key: str, start: float) -> None:
        return None

    def incr(self, key: str, n: int = 1) -> None:
        return None

    def gauge(self, key: str, value: float) -> None:
        return None


NULL = NullMetrics()


def custom_key(filter_name: str, key: str) -> str:
    """The key of a filter's own metric: ``<filter>.custom.<key>`` (as Skipper's filters do)."""
    return f"{filter_name}.custom.{key}"


__all__ = ["Metrics", "NullMetrics", "NULL", "custom_key"]
