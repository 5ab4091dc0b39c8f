"""Argument checks shared by the predicate specs: each raises ``InvalidArguments`` with a reason."""

from __future__ import annotations

from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments


def count(name: str, args: tuple[Arg, ...], *allowed: int) -> None:
    """Fail unless ``len(args)`` is one of ``allowed``."""
    if len(args) not in allowed:
        want = " or ".join(str(n) for n in allowed)
        raise InvalidArguments(name, f"expects {want} argument{'s' if allowed != (1,) else ''}, got {len(args)}")


def at_least_one(name: str, args: tuple[Arg, ...]) -> None:
    if not args:
        raise InvalidArguments(name, "expects at least one argument")


def string(name: str, arg: Arg, what: str = "argument") -> str:
    if not isinstance(arg, str):
        raise InvalidArguments(name, f"{what} must be a string, got {arg!r}")
    return arg


def strings(name: str, args: tuple[Arg, ...], what: str = "argument") -> tuple[str, ...]:
    return tuple(string(name, a, what) for a in args)


def number(name: str, arg: Arg, what: str = "argument") -> float:
    # bool is an int subclass; eskip has no booleans, so one here is a caller's mistake.
    if isinstance(arg, bool) or not isinstance(arg, (int, float)):
        raise InvalidArguments(name, f"{what} must be a number, got {arg!r}")
    return float(arg)


def fraction(name: str, arg: Arg, what: str) -> float:
    """A number in [0, 1]."""
    v = number(name, arg, what)
    if not 0.0 <= v <= 1.0:
        raise InvalidArguments(name, f"{what} must be between 0 and 1, got {v:g}")
    return v
