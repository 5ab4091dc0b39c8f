"""Cron: match while the local time fits a five-field cron mask.

Fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12) and day of week (0-6,
Sunday is 0). A field is ``*`` or a comma list of values and ranges ``a-b``; a ``/step`` after
``*`` or a range is accepted too (standard cron; Skipper's cronmask has no steps). As in
Skipper's cronmask, every field must match, day of month and day of week included (classic cron
would match either when both are restricted), and names (``MON``, ``JAN``) are not supported.

The answer only changes at minute boundaries, so an instance remembers it for the current minute.
"""

from __future__ import annotations

import time
from typing import Callable

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.http.request import Request
from skipperd.params import Param, STRING
from skipperd.predicates import args as A

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6))


def _int(text: str, what: str, lo: int, hi: int) -> int:
    if not (text.isdigit() and text.isascii()):
        raise ValueError(f"{what}: {text!r} is not a number")
    v = int(text)
    if not lo <= v <= hi:
        raise ValueError(f"{what}: {v} is not in [{lo},{hi}]")
    return v


def parse_field(text: str, what: str, lo: int, hi: int) -> frozenset[int] | None:
    """The values a field allows, or ``None`` for ``*`` (anything)."""
    if text == "*":
        return None
    allowed: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ValueError(f"{what}: empty list item in {text!r}")
        rng, slash, step_text = item.partition("/")
        step = _int(step_text, what, 1, hi) if slash else 1
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            first, _, last = rng.partition("-")
            a, b = _int(first, what, lo, hi), _int(last, what, lo, hi)
            if a > b:
                raise ValueError(f"{what}: range {rng!r} is reversed")
        else:
            if slash:
                raise ValueError(f"{what}: a step needs '*' or a range, got {item!r}")
            a = b = _int(rng, what, lo, hi)
        allowed.update(range(a, b + 1, step))
    return frozenset(allowed)


class CronMask:
    __slots__ = ("fields",)

    def __init__(self, expr: str) -> None:
        parts = expr.split()
        if len(parts) != 5:
            raise ValueError(f"expected 5 fields separated by whitespace, got {len(parts)}")
        self.fields = tuple(parse_field(p, *f) for p, f in zip(parts, _FIELDS))

    def match(self, t: time.struct_time) -> bool:
        # tm_wday counts from Monday = 0; cron from Sunday = 0.
        values = (t.tm_min, t.tm_hour, t.tm_mday, t.tm_mon, (t.tm_wday + 1) % 7)
        for allowed, v in zip(self.fields, values):
            if allowed is not None and v not in allowed:
                return False
        return True


class CronPredicate:
    __slots__ = ("mask", "clock", "_minute", "_answer")

    def __init__(self, mask: CronMask, clock: Callable[[], float]) -> None:
        self.mask = mask
        self.clock = clock
        self._minute = -1
        self._answer = False

    def match(self, request: Request) -> bool:
        now = self.clock()
        minute = int(now // 60)
        if minute != self._minute:
            # Local-time offsets are whole minutes, so one answer holds for the whole minute.
            self._answer = self.mask.match(time.localtime(now))
            self._minute = minute
        return self._answer


class CronSpec:
    name = names.CRON
    summary = 'the time matches a cron expression (local time)'
    params = (Param("expression", STRING, "five fields, e.g. \"* 8-18 * * 1-5\""),)

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    def create(self, args: tuple[Arg, ...]) -> CronPredicate:
        A.count(self.name, args, 1)
        expr = A.string(self.name, args[0], "cron expression")
        try:
            mask = CronMask(expr)
        except ValueError as e:
            raise InvalidArguments(self.name, f"invalid cron expression {expr!r}: {e}") from None
        return CronPredicate(mask, self.clock)
