"""What built-in filters take from the process they run in: ``FilterOptions``.

The supervisor builds its registry with ``FilterOptions(role="supervisor")``: it only validates
arguments, so nothing there needs a client or shared state. Each worker builds its registry with
``role="worker"``, its settings, its outbound HTTP client and the hooks later parts plug into.
Tests build their own, with a fake clock.

The hooks are small protocols so that the packages that implement them (metrics, per-host shared
memory) need not be imported here; the defaults do nothing and cost nothing.
"""

from __future__ import annotations

import random as _random
import time as _time
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Protocol

from skipperd.config import Settings


class Metrics(Protocol):
    """The metrics interface filters report to; keys of a filter's own metrics go
    under ``<filter>.custom.<key>``."""

    def incr(self, key: str, n: int = 1) -> None: ...

    def gauge(self, key: str, value: float) -> None: ...

    def measure_since(self, key: str, start: float) -> None: ...


class NullMetrics:
    """Metrics that go nowhere: the default until a metrics backend is configured."""

    __slots__ = ()

    def incr(self, key: str, n: int = 1) -> None:
        pass

    def gauge(self, key: str, value: float) -> None:
        pass

    def measure_since(self, key: str, start: float) -> None:
        pass


class SharedSegment(Protocol):
    """A per-host segment: ``buf`` is writable, ``locked()`` excludes the host's other workers
    (and is released when its holder dies)."""

    buf: Any

    def locked(self) -> ContextManager[None]: ...


class HostState(Protocol):
    """Per-host state shared by every worker of the host (docs/architecture.md, invariant 7):
    fadeIn's detection times, later rate-limit buckets, breakers, endpoint health.
    ``segment(name, size)`` returns a ``SharedSegment`` of ``size`` bytes (zero-filled when new)
    that all workers of the host map under ``name`` (``skipperd.shm.host``); what lives in it
    and how it is updated safely is up to the filter that asks for it."""

    def segment(self, name: str, size: int) -> SharedSegment: ...


class OutboundClient(Protocol):
    """The outbound HTTP client (``skipperd.proxy.client.Client`` in workers)."""

    def request(self, method: str, url: str, headers: list[tuple[str, str]] | None = None,
                body: bytes = b"", timeout: float | None = None) -> Any: ...


class _NoClient:
    """The supervisor's client: filters never call out while arguments are validated."""

    __slots__ = ()

    def request(self, method: str, url: str, headers: list[tuple[str, str]] | None = None,
                body: bytes = b"", timeout: float | None = None) -> Any:
        raise RuntimeError("no outbound HTTP client in this process (validation only)")


SUPERVISOR = "supervisor"
WORKER = "worker"
TEST = "test"


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """Handed to ``make_registry``; specs keep what they need from it.

    ``clock()`` is Unix seconds, ``monotonic()`` seconds for durations, ``random()`` uniform in
    [0, 1). ``client`` is the outbound HTTP client (a worker's pools; none in the supervisor).
    ``settings`` are the process's settings. ``metrics`` and ``host_state`` are where the
    metrics and per-host shared-memory parts plug in. ``loopback`` re-enters the proxy with a
    request (teeLoopback); set by the worker's proxy, ``None`` elsewhere. ``background(fn)``
    runs ``fn`` without waiting for it (a greenlet in workers; ``None``: run it at once).
    ``endpoints`` is the worker's ``filters.fadein.EndpointRegistry`` (detection times of
    load-balanced endpoints, kept across table swaps; ``make_registry`` makes one when ``None``).
    """

    role: str = TEST
    clock: Callable[[], float] = field(default=_time.time)
    monotonic: Callable[[], float] = field(default=_time.monotonic)
    random: Callable[[], float] = field(default=_random.random)
    client: OutboundClient = field(default_factory=_NoClient)
    settings: Settings = field(default_factory=Settings)
    metrics: Metrics = field(default_factory=NullMetrics)
    host_state: HostState | None = None
    loopback: Callable[..., Any] | None = None
    background: Callable[[Callable[[], Any]], Any] | None = None
    endpoints: Any = None

    @property
    def validating(self) -> bool:
        """True in the supervisor: specs check arguments, instances are never served."""
        return self.role == SUPERVISOR
