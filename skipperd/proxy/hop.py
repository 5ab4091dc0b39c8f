"""Hop-by-hop header fields (RFC 9110 §7.6.1): never forwarded, in either direction."""

from __future__ import annotations

#: Lower-case names removed from every forwarded request and response.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
})


#: Fields that frame or address a message: a Connection header naming them must not remove them
#: (that would strip a request's Content-Length and leave its body to be read as a new request).
NEVER_OPTIONS = frozenset({"content-length", "transfer-encoding", "host"})


def connection_options(values: list[str]) -> frozenset[str]:
    """The field names a ``Connection`` header lists (lower case), besides close/keep-alive.

    Those fields are hop-by-hop too. ``close`` and ``keep-alive`` are options, not field names
    (``keep-alive`` is removed anyway); framing fields (``NEVER_OPTIONS``) are never listed.
    """
    names: set[str] = set()
    for value in values:
        for token in value.split(","):
            t = token.strip().lower()
            if t and t != "close" and t not in NEVER_OPTIONS:
                names.add(t)
    return frozenset(names)
