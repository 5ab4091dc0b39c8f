"""Go RE2 regular expressions, compiled with Python's ``re``.

Skipper's regexp arguments are RE2 (Go's ``regexp``), matched unanchored (``MatchString`` is a
search). Most RE2 syntax means the same in ``re``; the differences that occur in route
definitions are translated here, once, at create time:

* ``\\z`` (end of text) is ``\\Z`` in ``re``; so is ``$`` without the ``m`` flag, which in
  ``re`` would also match before a final newline;
* ``(?<name>...)`` named groups are ``(?P<name>...)``;
* POSIX classes inside brackets, ``[[:alpha:]]``, have no ``re`` form and are expanded.

What ``re`` cannot express (``\\pL`` Unicode classes, the ``U`` flag) fails to compile, and the
route is reported invalid with the reason. ``re`` accepts some things RE2 rejects (backreferences,
lookaround); such routes work here and would be rejected by Skipper.
"""

from __future__ import annotations

import re
import warnings

from skipperd.errors import InvalidArguments

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


_MULTILINE = re.compile(r"\(\?[a-zA-Z]*m[a-zA-Z]*[:)]")


def _translate(rx: str) -> str:
    dollar = "$" if _MULTILINE.search(rx) else "\\Z"
    out: list[str] = []
    i, n = 0, len(rx)
    in_class = False
    while i < n:
        c = rx[i]
        if c == "\\" and i + 1 < n:
            nxt = rx[i + 1]
            out.append("\\Z" if nxt == "z" and not in_class else c + nxt)
            i += 2
            continue
        if in_class:
            if c == "[" and rx.startswith("[:", i):
                end = rx.find(":]", i + 2)
                name = rx[i + 2:end] if end > 0 else ""
                negated = name.startswith("^")
                body = _POSIX.get(name.lstrip("^"))
                if body is not None and not negated:
                    out.append(body)
                    i = end + 2
                    continue
                # Unknown or negated POSIX class: let re reject it rather than guess.
                raise ValueError(f"unsupported POSIX class [:{name}:]")
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            # A leading ']' (or '^]') is literal inside a class, in RE2 as in re.
            if i < n and rx[i] == "^":
                out.append("^")
                i += 1
            if i < n and rx[i] == "]":
                out.append("]")
                i += 1
            continue
        if c == "(" and rx.startswith("(?<", i) and not rx.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        out.append(dollar if c == "$" else c)
        i += 1
    return "".join(out)


def compile_re2(name: str, rx: str) -> re.Pattern[str]:
    """Compile an RE2 expression, raising ``InvalidArguments(name, ...)`` when it is not valid."""
    try:
        translated = _translate(rx)
        with warnings.catch_warnings():
            # re warns (FutureWarning) on constructs whose meaning may change; RE2 has a fixed
            # meaning for them, so treat the warning as a failure instead of guessing.
            warnings.simplefilter("error")
            return re.compile(translated)
    except (re.error, ValueError, FutureWarning) as e:
        raise InvalidArguments(name, f"invalid regular expression {rx!r}: {e}") from None
