"""Endpoint selection for load-balanced (``<algorithm, "url", ...>``) backends.

The algorithms of Skipper's ``loadbalancer`` package:

``roundRobin``            the default; starts at a random endpoint so that workers do not all
                          begin with the first one
``random``                uniform
``consistentHash``        a ring of 100 virtual nodes per endpoint (xxHash64 of ``"<url>-<j>"``,
                          as Skipper builds it, so a key lands on the same endpoint as in
                          Skipper); the key is what ``consistentHashKey`` put in the state bag,
                          else the client address (the first ``X-Forwarded-For`` address, else
                          the peer). With ``consistentHashBalanceFactor(f)`` the search walks on
                          along the ring past endpoints whose in-flight requests exceed
                          ``f`` times the average (bounded load, "consistent hashing with bounded
                          loads")
``powerOfRandomNChoices`` two endpoints at random, the one with fewer requests in flight

When the connection to the chosen endpoint fails (the proxy's one retry), ``pick_other`` applies
the algorithm again without the endpoint that failed, as Skipper's retry applies it again:
round robin takes the next position, random and powerOfRandomNChoices draw from the others,
consistentHash walks on along the ring (where the key goes when that endpoint is removed).
Skipper's second choice may be the endpoint that just failed (random, powerOfRandomNChoices) or
always is (consistentHash); skipperd's never is.

A selector lives per backend (``BackendKey``) and per worker, across table swaps, so that
round-robin positions and hash rings are not rebuilt for routes that did not change. In-flight
counts are per worker: they cover a request from the moment its endpoint is chosen until the
backend's response head arrived, as Skipper counts them.
"""

from __future__ import annotations

import bisect
import random
from typing import Any, Sequence

import xxhash

from skipperd.filters.consistenthash import BALANCE_FACTOR as CONSISTENT_HASH_BALANCE_FACTOR
from skipperd.filters.consistenthash import KEY as CONSISTENT_HASH_KEY
from skipperd.http.context import FilterContext

VIRTUAL_NODES = 100
POWER_OF_N = 2


class Selector:
    """Chooses an endpoint index; ``inflight[i]`` counts the requests in flight to endpoint ``i``."""

    __slots__ = ("inflight",)

    def __init__(self, n: int) -> None:
        self.inflight = [0] * n

    def pick(self, endpoints: Sequence[Any], ctx: FilterContext) -> int:
        raise NotImplementedError

    def pick_other(self, endpoints: Sequence[Any], ctx: FilterContext, failed: int) -> int:
        """The algorithm's choice among the endpoints other than ``failed`` (at least two)."""
        j = random.randrange(len(endpoints) - 1)
        return j + 1 if j >= failed else j


class RoundRobin(Selector):
    __slots__ = ("_next",)

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self._next = random.randrange(n) if n > 1 else 0

    def pick(self, endpoints: Sequence[Any], ctx: FilterContext) -> int:
        i = self._next % len(endpoints)
        self._next = i + 1
        return i

    def pick_other(self, endpoints: Sequence[Any], ctx: FilterContext, failed: int) -> int:
        i = self.pick(endpoints, ctx)
        return self.pick(endpoints, ctx) if i == failed else i


class Random(Selector):
    __slots__ = ()

    def pick(self, endpoints: Sequence[Any], ctx: FilterContext) -> int:
        return random.randrange(len(endpoints))


class PowerOfRandomNChoices(Selector):
    __slots__ = ()

    def pick(self, endpoints: Sequence[Any], ctx: FilterContext) -> int:
        n = len(endpoints)
        inflight = self.inflight
        best = random.randrange(n)
        for _ in range(POWER_OF_N - 1):
            c = random.randrange(n)
            if inflight[c] < inflight[best]:
                best = c
        return best

    def pick_other(self, endpoints: Sequence[Any], ctx: FilterContext, failed: int) -> int:
        inflight = self.inflight
        best = Selector.pick_other(self, endpoints, ctx, failed)
        for _ in range(POWER_OF_N - 1):
            c = Selector.pick_other(self, endpoints, ctx, failed)
            if inflight[c] < inflight[best]:
                best = c
        return best


def endpoint_string(e: Any) -> str:
    """The endpoint as Skipper's ring names it: ``scheme://host:port``."""
    host = f"[{e.host}]" if ":" in e.host else e.host
    return f"{e.scheme}://{host}:{e.port}"


def client_key(ctx: FilterContext) -> str:
    """Skipper's default key: the first X-Forwarded-For address, else the client's address."""
    req = ctx.request
    xff = req.headers.get("x-forwarded-for")
    if xff:
        first = xff.split(",", 1)[0].strip()
        if first:
            return first
    return req.remote_addr


class ConsistentHash(Selector):
    __slots__ = ("hashes", "owners")

    def __init__(self, endpoints: Sequence[Any]) -> None:
        super().__init__(len(endpoints))
        ring = sorted(
            (xxhash.xxh64_intdigest(f"{endpoint_string(e)}-{j}".encode()), i)
            for i, e in enumerate(endpoints) for j in range(VIRTUAL_NODES))
        self.hashes = [h for h, _ in ring]
        self.owners = [i for _, i in ring]

    def ring_index(self, key: str) -> int:
        i = bisect.bisect_left(self.hashes, xxhash.xxh64_intdigest(key.encode("utf-8", "surrogatepass")))
        return 0 if i == len(self.hashes) else i

    def pick(self, endpoints: Sequence[Any], ctx: FilterContext) -> int:
        if len(endpoints) == 1:
            return 0
        return self._search(ctx, -1)

    def pick_other(self, endpoints: Sequence[Any], ctx: FilterContext, failed: int) -> int:
        return self._search(ctx, failed)

    def _search(self, ctx: FilterContext, skip: int) -> int:
        """The key's endpoint on the ring, passing over ``skip`` (as Skipper's ``skipEndpoint``
        passes over endpoints that are not offered) and, with a balance factor, the loaded."""
        bag = ctx.state_bag
        key = bag.get(CONSISTENT_HASH_KEY)
        if not isinstance(key, str):
            key = client_key(ctx)
        r = self.ring_index(key)
        owners = self.owners
        size = len(owners)
        while owners[r] == skip:
            r = (r + 1) % size
        first = owners[r]
        factor = bag.get(CONSISTENT_HASH_BALANCE_FACTOR)
        if not isinstance(factor, float):
            return first
        inflight = self.inflight
        offered = len(inflight) - (skip >= 0)
        target = (1 + sum(inflight) - (inflight[skip] if skip >= 0 else 0)) / offered * factor
        for _ in range(size):
            i = owners[r]
            if i != skip and inflight[i] <= target:
                return i
            r = (r + 1) % size
        return first


def make_selector(algorithm: str | None, endpoints: Sequence[Any]) -> Selector:
    if algorithm == "random":
        return Random(len(endpoints))
    if algorithm == "consistentHash":
        return ConsistentHash(endpoints)
    if algorithm == "powerOfRandomNChoices":
        return PowerOfRandomNChoices(len(endpoints))
    return RoundRobin(len(endpoints))
