"""Writing responses to the client: status lines, the cached Date, heads, local bodies, errors.

The head of a response goes out together with the first piece of its body in one ``send``.
Hop-by-hop fields of the response are dropped here; framing fields (``Content-Length``,
``Transfer-Encoding``, ``Connection``) are written by this module from what the exchange needs.
"""

from __future__ import annotations

import logging
import time
from email.utils import formatdate
from http import HTTPStatus

from skipperd.http.fields import head_is_clean
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.proxy.errors import ClientGone
from skipperd.proxy.exchange import Exchange
from skipperd.proxy.hop import HOP_BY_HOP
from skipperd.proxy.netio import IOTimeout

log = logging.getLogger("skipperd.proxy")

SERVER = "Skipper"  # Skipper's branding when the backend sent no Server field

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_REASONS.update({420: "Enhance Your Calm", 499: "Client Closed Request"})
STATUS_LINES: dict[int, str] = {}


def reason(code: int) -> str:
    return _REASONS.get(code, "")


def status_line(code: int) -> str:
    line = STATUS_LINES.get(code)
    if line is None:
        line = f"HTTP/1.1 {code} {_REASONS.get(code, 'Status ' + str(code))}\r\n"
        if len(STATUS_LINES) < 1000:
            STATUS_LINES[code] = line
    return line


_date_second = 0
_date_line = ""


def date_line() -> str:
    """``Date: ...\\r\\n`` for the current second, formatted once a second."""
    global _date_second, _date_line
    t = int(time.time())
    if t != _date_second:
        _date_second = t
        _date_line = f"Date: {formatdate(t, usegmt=True)}\r\n"
    return _date_line


def no_body_status(code: int) -> bool:
    return code < 200 or code == 204 or code == 304


#: Fields the writer sets itself on local responses.
_LOCAL_SKIP = HOP_BY_HOP | {"content-length", "date"}


def encode_head(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        # A filter set a value outside Latin-1: send it as UTF-8, as Go does with its strings.
        return text.encode("utf-8")


def connection_line(ex: Exchange) -> str:
    if not ex.keep_alive:
        return "Connection: close\r\n"
    if ex.http10:
        return "Connection: keep-alive\r\n"
    return ""


def send(ex: Exchange, data: bytes, timeout: float) -> None:
    try:
        ex.client.send_all(data, timeout, "write to client")
    except (OSError, IOTimeout) as e:
        raise ClientGone(str(e)) from None


def drop_unsafe_fields(ex: Exchange, headers: Headers) -> None:
    """Remove response fields that carry CR, LF or NUL (``skipperd.http.fields``), logged."""
    bad = headers.drop_unsendable()
    if not bad:
        raise RuntimeError("a response head with stray CR, LF or NUL outside its header fields")
    log.warning("dropped response header fields carrying CR, LF or NUL: %s (route %s)",
                ", ".join(sorted(set(bad))), ex.route_id or "-")


def send_local(ex: Exchange, resp: Response, timeout: float) -> None:
    """A response made by skipperd (shunt, inlineContent, errors): head and body in one write."""
    body = resp.body or b""
    status = resp.status
    parts = [status_line(status)]
    for lower, name, value in resp.headers.raw():
        if lower in _LOCAL_SKIP:
            continue
        parts.append(f"{name}: {value}\r\n")
    if not no_body_status(status):
        parts.append(f"Content-Length: {len(body)}\r\n")
    else:
        body = b""
    if ex.head:
        body = b""
    parts.append(date_line())
    conn = connection_line(ex)
    parts.append(conn)
    parts.append("\r\n")
    text = "".join(parts)
    if not head_is_clean(text, len(parts) - (not conn)):
        drop_unsafe_fields(ex, resp.headers)
        send_local(ex, resp, timeout)
        return
    head = encode_head(text)
    ex.status = status
    ex.head_sent = True
    send(ex, head + body if body else head, timeout)
    ex.sent = len(body)


def error_response(status: int) -> Response:
    """Skipper's error response: the status text as plain text."""
    text = f"{reason(status) or 'Error'}\n".encode()
    return Response(status, Headers([
        ("server", "Server", SERVER),
        ("content-type", "Content-Type", "text/plain; charset=utf-8"),
        ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
    ]), text)
