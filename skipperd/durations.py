"""Go's duration syntax (``time.ParseDuration``) for filter arguments, in seconds.

``"300ms"``, ``"1.5h"``, ``"2h45m"``, ``"-1s"``; units ns, us (µs, μs), ms, s, m, h; a bare
``"0"`` is zero, any other number without a unit is an error, as in Go. Skipper's filters that
take a duration also accept a number, meaning milliseconds (``filter_duration``).
"""

from __future__ import annotations

import re

from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg

_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(text: str) -> float:
    """Seconds; ValueError when ``text`` is not a Go duration."""
    s = text
    sign = 1.0
    if s[:1] in ("+", "-"):
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    pos, total = 0, 0.0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None:
            raise ValueError(f"invalid duration {text!r}")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return sign * total


def filter_duration(name: str, arg: Arg, what: str = "duration") -> float:
    """Skipper's filter duration argument: a Go duration string or milliseconds; not negative."""
    if isinstance(arg, str):
        try:
            d = parse_go_duration(arg)
        except ValueError as e:
            raise InvalidArguments(name, f"{what}: {e}") from None
    else:
        d = float(arg) / 1000.0
    if d < 0:
        raise InvalidArguments(name, f"{what} must not be negative, got {arg!r}")
    return d
