"""Endpoint selection for load-balanced (``<algorithm, "url", ...>``) backends.

``roundRobin`` (the default, as in Skipper) and ``random`` are built. Skipper's
``consistentHash`` and ``powerOfRandomNChoices`` fall back to round robin for now
(TODO(issue: load-balancing algorithms consistentHash, powerOfRandomNChoices)). Round robin
state lives per route and per worker, starting at a random offset so that workers do not all
begin with the first endpoint.
"""

from __future__ import annotations

import random
from typing import Any, Sequence


class RoundRobin:
    __slots__ = ("_next",)

    def __init__(self, n: int) -> None:
        self._next = random.randrange(n) if n > 1 else 0

    def pick(self, endpoints: Sequence[Any]) -> int:
        i = self._next % len(endpoints)
        self._next = i + 1
        return i


class Random:
    __slots__ = ()

    def pick(self, endpoints: Sequence[Any]) -> int:
        return random.randrange(len(endpoints))


def make_selector(algorithm: str | None, n: int) -> RoundRobin | Random:
    if algorithm == "random":
        return Random()
    return RoundRobin(n)
