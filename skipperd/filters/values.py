"""What may become a header value, the URLs filters call out to, and Go's way of printing values
(``fmt.Sprint``).

A header value never holds CR, LF or NUL: a filter that would set one leaves the header alone
(docs/architecture.md, invariant 9).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, urlsplit

from skipperd.errors import InvalidArguments
from skipperd.http.fields import unsafe_value


def header_value_ok(value: str) -> bool:
    """The project's one check (``skipperd.http.fields.unsafe_value``), read positively."""
    return not unsafe_value(value)


def outbound_url(name: str, text: str, shape: str = "http(s)://host[:port]") -> SplitResult:
    """``text``, the URL a filter calls out to (tee, webhook), as an absolute http(s) URL with a
    host; else filter ``name``'s arguments are invalid, ``shape`` saying what was expected."""
    try:
        u = urlsplit(text)
        host = u.hostname
    except ValueError as e:
        raise InvalidArguments(name, f"invalid URL {text!r}: {e}") from None
    if u.scheme not in ("http", "https") or not host:
        raise InvalidArguments(name, f"invalid URL {text!r}: expected {shape}")
    return u


def go_sprint(value: Any) -> str:
    """``fmt.Sprint(v)`` for the values filters keep in the state bag."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{go_sprint(k)}:{go_sprint(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)
