"""Weight, True, False, Shutdown and Any.

``Weight(n)`` adds ``n`` (truncated to an integer) to the route's priority score instead of the 1
every other predicate adds; ``True()`` always matches and adds 1, the old way to raise a route's
priority. ``Any()`` (eskip's ``*``) matches and adds nothing. Instances that always match say so
with ``always = True``, and the routing table does not evaluate them per request. True and False
ignore arguments, as Skipper does.
"""

from __future__ import annotations

from typing import Callable

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.http.request import Request
from skipperd import params as P
from skipperd.params import Param
from skipperd.predicates import args as A


class Constant:
    __slots__ = ("score", "always")

    def __init__(self, answer: bool, score: int) -> None:
        self.always = answer
        self.score = score

    def match(self, request: Request) -> bool:
        return self.always


TRUE = Constant(True, 1)
FALSE = Constant(False, 1)
ANY = Constant(True, 0)


class WeightSpec:
    name = names.WEIGHT
    summary = "adds the weight to the route's priority"
    params = (Param("weight", P.NUMBER),)

    def create(self, args: tuple[Arg, ...]) -> Constant:
        A.count(self.name, args, 1)
        return Constant(True, int(A.number(self.name, args[0], "weight")))


class TrueSpec:
    name = names.TRUE
    summary = 'always matches; adds 1 to the priority'
    params = (Param("ignored", P.ANY, optional=True, variadic=True),)

    def create(self, args: tuple[Arg, ...]) -> Constant:
        return TRUE


class FalseSpec:
    name = names.FALSE
    summary = 'never matches'
    params = (Param("ignored", P.ANY, optional=True, variadic=True),)

    def create(self, args: tuple[Arg, ...]) -> Constant:
        return FALSE


class AnySpec:
    name = names.ANY
    summary = "matches every request (eskip's *)"
    params = ()

    def create(self, args: tuple[Arg, ...]) -> Constant:
        A.count(self.name, args, 0)
        return ANY


class ShutdownPredicate:
    __slots__ = ("shutdown",)

    def __init__(self, shutdown: Callable[[], bool]) -> None:
        self.shutdown = shutdown

    def match(self, request: Request) -> bool:
        return self.shutdown()


class ShutdownSpec:
    name = names.SHUTDOWN
    summary = 'skipperd is draining (SIGTERM received)'
    params = ()

    def __init__(self, shutdown: Callable[[], bool]) -> None:
        self.shutdown = shutdown

    def create(self, args: tuple[Arg, ...]) -> ShutdownPredicate:
        A.count(self.name, args, 0)
        return ShutdownPredicate(self.shutdown)
