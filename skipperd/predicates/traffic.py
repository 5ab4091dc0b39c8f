"""Traffic and TrafficSegment: split requests between routes at random.

``Traffic(p)`` matches with probability ``p`` (a new draw each time it is evaluated).
``Traffic(p, cookie, group)`` is sticky: a request that carries ``cookie`` matches exactly when
its value is ``group``; one without the cookie takes the chance.

``TrafficSegment(min, max)`` matches when the request's random number ``r`` is in ``[min, max)``.
``r`` is drawn once per request (``Request.segment_random``) and shared by every TrafficSegment
the request meets, so adjacent segments of one path split traffic exactly. Its ``score`` is 0:
it does not change a route's priority (Skipper gives the spec a weight of -1 against the +1 every
predicate adds).
"""

from __future__ import annotations

from typing import Callable

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.http.request import Request
from skipperd.params import NUMBER, Param, STRING
from skipperd.predicates import args as A


class TrafficPredicate:
    __slots__ = ("chance", "random")

    def __init__(self, chance: float, random: Callable[[], float]) -> None:
        self.chance = chance
        self.random = random

    def match(self, request: Request) -> bool:
        return self.random() < self.chance


class StickyTrafficPredicate(TrafficPredicate):
    __slots__ = ("cookie", "group")

    def __init__(self, chance: float, random: Callable[[], float], cookie: str, group: str) -> None:
        super().__init__(chance, random)
        self.cookie = cookie
        self.group = group

    def match(self, request: Request) -> bool:
        value = request.cookie(self.cookie)
        if value is not None:
            return value == self.group
        return self.random() < self.chance


class TrafficSpec:
    name = names.TRAFFIC
    summary = 'a share of requests, optionally sticky through a cookie'
    params = (Param("chance", NUMBER, "between 0 and 1"), Param("cookieName", STRING, optional=True), Param("cookieValue", STRING, optional=True))

    def __init__(self, random: Callable[[], float]) -> None:
        self.random = random

    def create(self, args: tuple[Arg, ...]) -> TrafficPredicate:
        A.count(self.name, args, 1, 3)
        chance = A.fraction(self.name, args[0], "chance")
        if len(args) == 1:
            return TrafficPredicate(chance, self.random)
        cookie = A.string(self.name, args[1], "cookie name")
        group = A.string(self.name, args[2], "traffic group")
        return StickyTrafficPredicate(chance, self.random, cookie, group)


class TrafficSegmentPredicate:
    __slots__ = ("min", "max", "random")

    score = 0

    def __init__(self, lo: float, hi: float, random: Callable[[], float]) -> None:
        self.min = lo
        self.max = hi
        self.random = random

    def match(self, request: Request) -> bool:
        r = request.segment_random
        if r is None:
            r = request.segment_random = self.random()
        return self.min <= r < self.max


class TrafficSegmentSpec:
    name = names.TRAFFIC_SEGMENT
    summary = "the request's one random number is in [min, max)"
    params = (Param("min", NUMBER, "between 0 and 1"), Param("max", NUMBER, "between 0 and 1"))

    def __init__(self, random: Callable[[], float]) -> None:
        self.random = random

    def create(self, args: tuple[Arg, ...]) -> TrafficSegmentPredicate:
        A.count(self.name, args, 2)
        lo = A.fraction(self.name, args[0], "min")
        hi = A.fraction(self.name, args[1], "max")
        if lo > hi:
            raise InvalidArguments(self.name, f"min ({lo:g}) must not be greater than max ({hi:g})")
        return TrafficSegmentPredicate(lo, hi, self.random)
