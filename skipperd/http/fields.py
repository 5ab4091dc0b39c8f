"""Header fields on the wire: names from bytes to ``(lower, as_received)`` strings, cached; the CR, LF, NUL check.

A request or response carries a handful of fields whose names repeat on every message; a dict
lookup of the raw bytes is cheaper than decoding and lower-casing each time. The cache is
bounded: a client sending endless distinct names only stops being cached.
"""

from __future__ import annotations

#: Read-only for callers: ``NAMES.get(raw) or header_name(raw)`` saves a call on hits.
NAMES: dict[bytes, tuple[str, str]] = {}
_MAX = 2048


def header_name(raw: bytes) -> tuple[str, str]:
    t = NAMES.get(raw)
    if t is None:
        name = raw.decode("latin-1")
        t = (name.lower(), name)
        if len(NAMES) < _MAX:
            NAMES[raw] = t
    return t


# --- what may go on the wire -------------------------------------------------------------------
#
# Anything that becomes part of a message head (a header value filled from a template, a filter
# argument, a Kubernetes annotation, a request target a filter rewrote) must not carry CR, LF or
# NUL: one of them would split the head, adding fields or a whole second message. The writers of
# heads (to the backend and to the client) check the head they built once, with ``head_is_clean``:
# a count of line ends, which costs less than looking at each value. Only when that fails do they
# look for the culprits with ``unsafe_fields``: a request is then refused (400), a response field
# dropped. This is the one check on the way out, whatever produced the value.

#: The characters no header name or value may carry (RFC 9110 §5.5).
FORBIDDEN = ("\r", "\n", "\x00")


def unsafe_value(value: str) -> bool:
    """Whether ``value`` carries CR, LF or NUL (so cannot be sent in a header field)."""
    return "\r" in value or "\n" in value or "\x00" in value


def head_is_clean(text: str, lines: int) -> bool:
    """Whether a serialised head of ``lines`` CRLF-terminated lines has no other CR, LF or NUL."""
    return text.count("\n") == lines and text.count("\r") == lines and "\x00" not in text


def unsafe_fields(items: list[tuple[str, str, str]]) -> list[str]:
    """The names of the fields (as ``(lower, name, value)``) whose name or value is not sendable."""
    return [name for _, name, value in items if unsafe_value(value) or unsafe_value(name)]


def safe_items(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """``items`` without the fields ``unsafe_fields`` names."""
    return [t for t in items if not (unsafe_value(t[2]) or unsafe_value(t[1]))]
