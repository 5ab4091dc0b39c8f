"""Typed argument schemas of predicate and filter specs.

A spec declares what it accepts as ``params``, a tuple of ``Param``, and a one-line ``summary``.
``check(name, params, args)`` validates an eskip argument list against the declaration (count,
types, fixed choices) and raises ``InvalidArguments`` with the reason; what a spec checks beyond
that (a regexp that compiles, a hash of the right length) it checks itself. The same declaration
renders the reference: ``skipperd filters``, ``skipperd predicates``, docs/filters.md and
docs/predicates.md (``skipperd.commands.reference``).

Kinds follow eskip's two value types (strings and numbers) and Skipper's documented meanings:

``string``    a string;
``number``    a number (eskip numbers are floats);
``int``       a number, used as an integer (Skipper truncates, as Go's ``int(v)``);
``regexp``    a string or a ``/regexp/`` literal, compiled with RE2 semantics;
``duration``  a Go duration string (``"10ms"``, ``"1m30s"``) or a number of milliseconds;
``any``       a string or a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg

STRING = "string"
NUMBER = "number"
INT = "int"
REGEXP = "regexp"
DURATION = "duration"
ANY = "any"

_STRING_KINDS = (STRING, REGEXP)
_NUMBER_KINDS = (NUMBER, INT)


@dataclass(frozen=True, slots=True)
class Param:
    """One argument: its name, kind, what it means, and whether it may be left out or repeated.

    Optional parameters come after the required ones; a variadic parameter is the last one and
    takes any number of arguments (none when it is also optional). ``choices`` restricts a string.
    """

    name: str
    kind: str = STRING
    doc: str = ""
    optional: bool = False
    variadic: bool = False
    choices: tuple[str, ...] = ()

    def signature(self) -> str:
        text = f"{self.name}: {self.kind}"
        if self.choices:
            text = f"{self.name}: {' | '.join(repr(c).replace(chr(39), chr(34)) for c in self.choices)}"
        if self.variadic:
            text += ", ..."
        return f"[{text}]" if self.optional else text


def signature(name: str, params: Sequence[Param]) -> str:
    """``name(p1: kind, [p2: kind])`` as the reference shows it."""
    return f"{name}({', '.join(p.signature() for p in params)})"


def bounds(params: Sequence[Param]) -> tuple[int, int | None]:
    """The least and the most arguments the declaration accepts (``None``: no upper bound)."""
    lo = sum(1 for p in params if not p.optional)
    hi: int | None = len(params)
    if params and params[-1].variadic:
        hi = None
        if not params[-1].optional:
            lo = len(params)
    return lo, hi


def _count_text(lo: int, hi: int | None) -> str:
    if hi is None:
        return f"at least {lo} argument{'s' if lo != 1 else ''}"
    if lo == hi:
        return f"{lo} argument{'s' if lo != 1 else ''}" if lo else "no arguments"
    return f"{lo} to {hi} arguments"


def kind_ok(kind: str, arg: Arg) -> bool:
    if isinstance(arg, bool):  # eskip has no booleans: one here is a caller's mistake
        return False
    if kind in _STRING_KINDS:
        return isinstance(arg, str)
    if kind in _NUMBER_KINDS:
        return isinstance(arg, (int, float))
    return isinstance(arg, (str, int, float))


def check(name: str, params: Sequence[Param], args: Sequence[Arg]) -> tuple[Arg, ...]:
    """``args`` as a tuple when they fit ``params``; ``InvalidArguments(name, reason)`` when not."""
    lo, hi = bounds(params)
    n = len(args)
    if n < lo or (hi is not None and n > hi):
        names = ", ".join(p.name for p in params)
        raise InvalidArguments(name, f"expects {_count_text(lo, hi)}{f' ({names})' if names else ''}, got {n}")
    for i, arg in enumerate(args):
        p = params[min(i, len(params) - 1)]
        if not kind_ok(p.kind, arg):
            raise InvalidArguments(name, f"argument {i + 1} ({p.name}) must be {_article(p.kind)}, got {arg!r}")
        if p.choices and arg not in p.choices:
            raise InvalidArguments(name, f"argument {i + 1} ({p.name}) must be one of "
                                   f"{', '.join(repr(c) for c in p.choices)}, got {arg!r}")
    return tuple(args)


def _article(kind: str) -> str:
    if kind in (INT,):
        return "an integer number"
    if kind == ANY:
        return "a string or a number"
    if kind == DURATION:
        return "a duration"
    if kind == REGEXP:
        return "a regular expression (string)"
    return f"a {kind}"
