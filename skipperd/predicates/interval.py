"""After, Before and Between: match by the time of the request.

A date is an RFC 3339 string (``2016-01-01T12:00:00+02:00``), an RFC 3339 string without offset
followed by an IANA location name (``"2021-02-18T00:00:00", "Europe/Berlin"``), or a number of
Unix seconds (truncated to whole seconds, as Skipper does). ``After(t)`` matches from ``t`` on,
``Before(t)`` until just before ``t``, ``Between(a, b)`` in ``[a, b)`` and needs ``a < b``.
The clock is injected (``PredicateOptions.clock``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.http.request import Request
from skipperd.params import ANY, Param
from skipperd.predicates import args as A

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_RFC3339_NO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?")


def _fromiso(text: str) -> datetime:
    # Python 3.11 reads at most 6 fractional digits; RFC 3339 allows more.
    head, dot, frac = text.partition(".")
    if dot:
        digits = len(frac) - len(frac.lstrip("0123456789"))
        text = head + "." + frac[:min(digits, 6)] + frac[digits:]
    return datetime.fromisoformat(text)


def _rfc3339(text: str) -> float | None:
    if not _RFC3339.fullmatch(text):
        return None
    try:
        return _fromiso(text).timestamp()
    except ValueError:
        return None


def _local(text: str, zone: ZoneInfo) -> float | None:
    if not _RFC3339_NO_OFFSET.fullmatch(text):
        return None
    try:
        return _fromiso(text).replace(tzinfo=zone).timestamp()
    except ValueError:
        return None


def _zone(name: str, arg: Arg) -> ZoneInfo:
    if isinstance(arg, str) and arg:
        try:
            return ZoneInfo(arg)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise InvalidArguments(name, f"unknown time zone location {arg!r}")


def parse_dates(name: str, args: tuple[Arg, ...], count: int) -> tuple[float, ...]:
    """``count`` dates as Unix seconds, from ``count`` RFC 3339 strings or numbers, or from
    ``count`` offset-less strings and a location."""
    if len(args) == count + 1:
        zone = _zone(name, args[-1])
        out = []
        for a in args[:-1]:
            t = _local(a, zone) if isinstance(a, str) else None
            if t is None:
                raise InvalidArguments(name, f"expected a date without offset like 2021-02-18T00:00:00 "
                                       f"before the location, got {a!r}")
            out.append(t)
        return tuple(out)
    if len(args) != count:
        raise InvalidArguments(name, f"expects {count} date{'s' if count > 1 else ''} (RFC 3339 or Unix seconds), "
                               f"optionally followed by a location, got {len(args)} arguments")
    if all(isinstance(a, str) for a in args):
        out = []
        for a in args:
            assert isinstance(a, str)
            t = _rfc3339(a)
            if t is None:
                raise InvalidArguments(name, f"invalid RFC 3339 date {a!r}")
            out.append(t)
        return tuple(out)
    if all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        return tuple(float(int(A.number(name, a))) for a in args)
    raise InvalidArguments(name, "dates must all be RFC 3339 strings or all be Unix seconds")


class AfterPredicate:
    __slots__ = ("begin", "clock")

    def __init__(self, begin: float, clock: Callable[[], float]) -> None:
        self.begin = begin
        self.clock = clock

    def match(self, request: Request) -> bool:
        return self.clock() >= self.begin


class BeforePredicate:
    __slots__ = ("end", "clock")

    def __init__(self, end: float, clock: Callable[[], float]) -> None:
        self.end = end
        self.clock = clock

    def match(self, request: Request) -> bool:
        return self.clock() < self.end


class BetweenPredicate:
    __slots__ = ("begin", "end", "clock")

    def __init__(self, begin: float, end: float, clock: Callable[[], float]) -> None:
        self.begin = begin
        self.end = end
        self.clock = clock

    def match(self, request: Request) -> bool:
        return self.begin <= self.clock() < self.end


class AfterSpec:
    name = names.AFTER
    summary = 'the time is after the given one'
    params = (Param("time", ANY, "RFC 3339 string or Unix seconds"),)

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    def create(self, args: tuple[Arg, ...]) -> AfterPredicate:
        (begin,) = parse_dates(self.name, args, 1)
        return AfterPredicate(begin, self.clock)


class BeforeSpec:
    name = names.BEFORE
    summary = 'the time is before the given one'
    params = (Param("time", ANY, "RFC 3339 string or Unix seconds"),)

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    def create(self, args: tuple[Arg, ...]) -> BeforePredicate:
        (end,) = parse_dates(self.name, args, 1)
        return BeforePredicate(end, self.clock)


class BetweenSpec:
    name = names.BETWEEN
    summary = 'the time is in [begin, end)'
    params = (Param("begin", ANY, "RFC 3339 string or Unix seconds"), Param("end", ANY, "RFC 3339 string or Unix seconds"))

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    def create(self, args: tuple[Arg, ...]) -> BetweenPredicate:
        begin, end = parse_dates(self.name, args, 2)
        if not begin < end:
            raise InvalidArguments(self.name, "the end must be after the beginning")
        return BetweenPredicate(begin, end, self.clock)
