"""``fadeIn(duration[, exponent])`` and ``endpointCreated(address, time)``: new endpoints of a
load-balanced backend get traffic gradually (Skipper's fade-in).

An endpoint's detection time is kept by the worker's ``EndpointRegistry`` (``FilterOptions.endpoints``)
across table swaps, and per host: the first worker that sees an endpoint writes its detection time
into the host's shared ``DetectionTable`` (``FilterOptions.host_state``), and every other worker,
a replacement of one that died included, takes that time instead of its own, so a new worker
continues a fade-in where it stands. Endpoints of the host's first table count as old; one that
appears in a later table is detected then. Without host state (tests) the times are the
worker's own. ``endpointCreated(address, time)`` (Unix seconds or RFC 3339)
says when an endpoint was created: a creation later than the detection restarts the fade-in
(a new instance behind a reused address). On a route with ``fadeIn``, an endpoint the
load balancer picks takes the request with probability
``min((now - detected) / duration, 1) ^ exponent``; otherwise the next endpoint that has faded in
fully takes it (the picked one when none has).
"""

from __future__ import annotations

import hashlib
import random
import struct
import time
from datetime import datetime
from typing import Any, Callable, Sequence

from skipperd import names
from skipperd.durations import filter_duration
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import ANY, NUMBER, STRING, Param

KEY = "skipperd:fadeIn"  # the state-bag key the load balancer reads


def endpoint_key(address: str) -> str:
    """``scheme://host:port`` of an endpoint URL, as ``EndpointKey`` spells it."""
    from urllib.parse import urlsplit

    u = urlsplit(address)
    port = u.port or (443 if u.scheme == "https" else 80)
    return f"{u.scheme}://{u.hostname}:{port}"


class DetectionTable:
    """Detection times of endpoints in a per-host buffer, an open-addressing hash table.

    Layout (native byte order): a 16-byte header, the magic ``SKPDFADE`` then a word that is
    non-zero once the host's first table was observed; then ``CAPACITY`` entries of two words,
    the endpoint key's 64-bit hash (0: empty) and the detection time (a float64, Unix seconds).
    A new entry's time is written before its hash, so an update cut short leaves no entry.
    Callers hold the segment's lock. A full table stores nothing more: those endpoints keep
    the worker's own time (entries are never removed; 65,536 endpoints fill it).
    """

    MAGIC = b"SKPDFADE"
    HEADER = 16
    CAPACITY = 65536
    ENTRY = struct.Struct("=Qd")
    SIZE = HEADER + CAPACITY * 16

    __slots__ = ("buf",)

    def __init__(self, buf: Any) -> None:
        self.buf = buf
        if bytes(buf[0:8]) != self.MAGIC:
            buf[0:16] = self.MAGIC + bytes(8)  # a new segment (zero-filled)

    @property
    def loaded(self) -> bool:
        return bytes(self.buf[8:16]) != bytes(8)

    def mark_loaded(self) -> None:
        self.buf[8:16] = struct.pack("=Q", 1)

    @staticmethod
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") | 1

    def get_or_put(self, key: str, now: float) -> float:
        """The detection time stored for ``key``; ``now`` is stored first when there is none."""
        h = self._hash(key)
        buf, entry, cap = self.buf, self.ENTRY, self.CAPACITY
        i = h % cap
        for _ in range(cap):
            off = self.HEADER + i * 16
            have, at = entry.unpack_from(buf, off)
            if have == h:
                return float(at)
            if have == 0:
                buf[off + 8:off + 16] = struct.pack("=d", now)
                buf[off:off + 8] = struct.pack("=Q", h)
                return now
            i = (i + 1) % cap
        return now


class EndpointRegistry:
    """First-seen and created times of endpoints, surviving table swaps; per host when
    ``shared`` (a ``FilterOptions.host_state`` segment of ``DetectionTable.SIZE`` bytes) is
    given, else per worker. The request path reads ``detected``, the worker's copy."""

    __slots__ = ("detected", "created", "clock", "loaded", "shared")

    def __init__(self, clock: Callable[[], float] = time.time, shared: Any = None) -> None:
        self.detected: dict[str, float] = {}
        self.created: dict[str, float] = {}
        self.clock = clock
        self.loaded = False
        self.shared = shared

    def observe(self, endpoint_keys: Sequence[str]) -> None:
        """Endpoints of a newly built table's new routes: detected now (0 for the first table)."""
        d = self.detected
        new = [k for k in endpoint_keys if k not in d]
        if self.shared is None:
            now = self.clock() if self.loaded else 0.0
            for k in new:
                d[k] = now
            self.loaded = True
            return
        if self.loaded and not new:
            return
        with self.shared.locked():
            table = DetectionTable(self.shared.buf)
            now = self.clock() if table.loaded else 0.0
            for k in new:
                d[k] = table.get_or_put(k, now)
            table.mark_loaded()
        self.loaded = True

    def mark_created(self, key: str, at: float) -> None:
        if at > self.created.get(key, -1.0):
            self.created[key] = at

    def detected_at(self, key: str) -> float:
        return max(self.detected.get(key, 0.0), self.created.get(key, 0.0))


class FadeIn:
    __slots__ = ("duration", "exponent", "registry", "random")

    def __init__(self, duration: float, exponent: float, registry: EndpointRegistry,
                 rnd: Callable[[], float]) -> None:
        self.duration = duration
        self.exponent = exponent
        self.registry = registry
        self.random = rnd

    def request(self, ctx: FilterContext) -> None:
        ctx.state_bag[KEY] = self

    def rate(self, key: str, now: float) -> float:
        if self.duration <= 0:
            return 1.0
        age = now - self.registry.detected_at(key)
        if age >= self.duration:
            return 1.0
        return float(max(0.0, age / self.duration) ** self.exponent)

    def adjust(self, endpoints: Sequence[Any], picked: int) -> int:
        """The endpoint to use instead of ``picked`` (the load balancer's choice)."""
        now = self.registry.clock()
        keys = [_key(e) for e in endpoints]
        r = self.rate(keys[picked], now)
        if r >= 1.0 or self.random() < r:
            return picked
        n = len(endpoints)
        for step in range(1, n):
            j = (picked + step) % n
            if self.rate(keys[j], now) >= 1.0:
                return j
        return picked


def _key(e: Any) -> str:
    k = e.key
    return f"{k.scheme}://{k.host}:{k.port}"


class FadeInSpec(Spec):
    name = names.FADE_IN
    summary = "new endpoints of the route's load-balanced backend get traffic gradually"
    params = (Param("duration", ANY, "a Go duration or milliseconds"),
              Param("exponent", NUMBER, "shape of the curve (1: linear)", optional=True))

    def __init__(self, registry: EndpointRegistry | None = None, rnd: Callable[[], float] = random.random) -> None:
        self.registry = registry if registry is not None else EndpointRegistry()
        self.random = rnd

    def make(self, args: tuple[Arg, ...]) -> Any:
        duration = filter_duration(self.name, args[0])
        exponent = float(args[1]) if len(args) == 2 else 1.0
        if exponent <= 0:
            raise InvalidArguments(self.name, f"the exponent must be positive, got {args[1]!r}")
        return FadeIn(duration, exponent, self.registry, self.random)


class EndpointCreated:
    __slots__ = ()


def parse_time(name: str, arg: Arg) -> float:
    if not isinstance(arg, str):
        return float(arg)
    text = arg.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidArguments(name, f"invalid time {arg!r}: expected seconds since the epoch or RFC 3339") from None


class EndpointCreatedSpec(Spec):
    name = names.ENDPOINT_CREATED
    summary = "when an endpoint was created: a later creation restarts its fade-in"
    params = (Param("address", STRING, "the endpoint URL, http(s)://host:port"),
              Param("time", ANY, "seconds since the epoch, or RFC 3339"))

    def __init__(self, registry: EndpointRegistry | None = None) -> None:
        self.registry = registry if registry is not None else EndpointRegistry()

    def validate(self, args: tuple[Arg, ...]) -> None:
        self._parse(args)

    def _parse(self, args: tuple[Arg, ...]) -> tuple[str, float]:
        from skipperd.params import check

        args = check(self.name, self.params, args)
        address = str(args[0])
        if "://" not in address:
            raise InvalidArguments(self.name, f"invalid endpoint address {address!r}")
        try:
            key = endpoint_key(address)
        except ValueError as e:
            raise InvalidArguments(self.name, f"invalid endpoint address {address!r}: {e}") from None
        return key, parse_time(self.name, args[1])

    def make(self, args: tuple[Arg, ...]) -> Any:
        key, at = self._parse(args)
        self.registry.mark_created(key, at)
        return EndpointCreated()
