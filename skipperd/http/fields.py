"""Header field names from the wire: bytes to ``(lower, as_received)`` strings, cached.

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
