"""Go's regexp replacement templates (``Regexp.ReplaceAllString``) on compiled patterns.

In a Go replacement ``$1``, ``${1}``, ``$name`` and ``${name}`` stand for a group; a name is the
longest run of letters, digits and underscores (so ``$1x`` is the group named ``1x``), a group
that does not exist is empty, and ``$$`` is a dollar sign. Python's ``re.sub`` reads ``\\1``
instead, so the template is parsed once into literal and group pieces and applied through a
callable, which also suits RE2 patterns.
"""

from __future__ import annotations

import re
from typing import Any, Callable

_NAME = re.compile(r"[A-Za-z0-9_]+")


def parse(template: str) -> tuple[str | int, ...]:
    """Pieces: ``str`` literals and group references (``int`` index or ``("name",)`` as str key).

    Group names are returned as ``str`` prefixed with ``"\\0"`` to tell them from literals.
    """
    out: list[str | int] = []
    lit: list[str] = []
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c != "$" or i + 1 >= n:
            lit.append(c)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt == "$":
            lit.append("$")
            i += 2
            continue
        if nxt == "{":
            end = template.find("}", i + 2)
            name = template[i + 2:end] if end > 0 else ""
            if end < 0 or not name or not _NAME.fullmatch(name):
                lit.append(c)
                i += 1
                continue
            i = end + 1
        else:
            m = _NAME.match(template, i + 1)
            if m is None:
                lit.append(c)
                i += 1
                continue
            name = m.group()
            i = m.end()
        if lit:
            out.append("".join(lit))
            lit = []
        out.append(int(name) if name.isdigit() else "\0" + name)
    if lit:
        out.append("".join(lit))
    return tuple(out)


def replacer(template: str) -> Callable[[Any], str]:
    """What to pass to ``pattern.sub``."""
    pieces = parse(template)
    if all(isinstance(p, str) and not p.startswith("\0") for p in pieces):
        literal = "".join(p for p in pieces if isinstance(p, str))
        return lambda m: literal

    def expand(m: Any) -> str:
        parts: list[str] = []
        for p in pieces:
            if isinstance(p, int):
                try:
                    parts.append(m.group(p) or "")
                except Exception:  # no such group: empty, as in Go
                    pass
            elif p.startswith("\0"):
                try:
                    parts.append(m.group(p[1:]) or "")
                except Exception:  # no such group: empty, as in Go
                    pass
            else:
                parts.append(p)
        return "".join(parts)

    return expand


def replace_all(rx: Any, repl: Callable[[Any], str], text: str) -> str:
    return str(rx.sub(repl, text))
