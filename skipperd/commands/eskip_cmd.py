"""``skipperd eskip check FILE...`` and ``skipperd eskip print FILE``: offline tools for route files.

``check`` parses each file and reports every problem as ``<file>: <message>`` on ``err``, naming
the route where the parser knows it; an optional ``validate`` callable adds checks beyond the
parser (the CLI passes one built on the predicate and filter registries). ``print_`` writes the
file's routes in the normalised layout of ``print_routes``. Both return the exit status: 0 for
success, 1 when a file could not be read, did not parse or did not validate.
"""

from __future__ import annotations

from typing import Callable, Sequence, TextIO

from skipperd.eskip import ParseError, parse, print_routes
from skipperd.eskip.route import Route

__all__ = ["Validator", "check", "print_"]

#: Extra checks on routes that parsed; each returned string is one error message.
Validator = Callable[[list[Route]], list[str]]


def check(paths: Sequence[str], out: TextIO, err: TextIO, validate: Validator | None = None) -> int:
    """Validate eskip files; 0 when all are valid, 1 otherwise, 2 when no file was given."""
    if not paths:
        err.write("usage: skipperd eskip check FILE...\n")
        return 2
    status = 0
    for path in paths:
        routes = _load(path, err)
        if routes is None:
            status = 1
            continue
        problems = validate(routes) if validate is not None else []
        for problem in problems:
            err.write(f"{path}: {problem}\n")
        if problems:
            status = 1
    return status


def print_(path: str, out: TextIO, err: TextIO) -> int:
    """Print the routes of one eskip file, normalised; 0 on success, 1 when it does not parse."""
    routes = _load(path, err)
    if routes is None:
        return 1
    out.write(print_routes(routes))
    return 0


def _load(path: str, err: TextIO) -> list[Route] | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        err.write(f"{path}: {e.strerror or e}\n")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        err.write(f"{path}: not UTF-8 text: {e}\n")
        return None
    try:
        return parse(text)
    except ParseError as e:
        err.write(f"{path}: {e.describe()}\n")
        return None
