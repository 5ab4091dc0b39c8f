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

from skipperd.http.body import BodyStream
from skipperd.http.fields import head_is_clean
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.proxy.errors import ClientGone
from skipperd.proxy.exchange import Exchange
from skipperd.proxy.hop import HOP_BY_HOP
from skipperd.proxy.netio import IOTimeout, now

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


#: Fields the writer decides itself (framing) or never relays (hop-by-hop), plus those it notes.
_SPECIAL = HOP_BY_HOP | {"content-length", "date"}
_CHUNK_END = b"0\r\n\r\n"


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
        # -write-timeout-server bounds the whole response (Go's WriteTimeout), not each write.
        left = ex.write_deadline - now()
        if left <= 0:
            raise IOTimeout("write to client (the response outlasted -write-timeout-server)")
        ex.client.send_all(data, left if left < timeout else timeout, "write to client")
    except IOTimeout as te:
        # Reset, not close: what the kernel still buffers for a slow reader is dropped too.
        ex.client.abort()
        raise ClientGone(str(te)) from None
    except OSError as oe:
        raise ClientGone(str(oe)) from None


def drop_unsafe_fields(ex: Exchange, headers: Headers) -> None:
    """Remove response fields that carry CR, LF or NUL (``skipperd.http.fields``), logged."""
    bad = headers.drop_unsendable()
    if not bad:
        raise RuntimeError("a response head with stray CR, LF or NUL outside its header fields")
    log.warning("dropped response header fields carrying CR, LF or NUL: %s (route %s)",
                ", ".join(sorted(set(bad))), ex.route_id or "-")


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def write_response(ex: Exchange, resp: Response, timeout: float) -> None:
    """The one writer of response heads: local, error and proxied responses alike.

    Framing is decided here, from the final status, the request method and the body that will
    be sent (``resp.stream`` or ``resp.body``), never from the fields filters left: hop-by-hop
    fields, ``Content-Length`` and ``Transfer-Encoding`` are dropped and written anew. A body
    of known length gets ``Content-Length``; one of unknown length is chunked for HTTP/1.1 and
    delimited by closing the connection for HTTP/1.0. 1xx and 204 have no body and no length;
    304 and responses to HEAD keep the ``Content-Length`` they carry (it describes the
    representation) and send no body. The head goes out with the first body piece in one write.
    A stream that produces more than its declared length is cut at the length and the
    connection closed; one that produces less closes the connection.
    """
    status = resp.status
    stream = resp.stream
    parts = [STATUS_LINES.get(status) or status_line(status)]
    has_date = False
    length_field = ""
    for lower, name, value in resp.headers.raw():
        if lower in _SPECIAL:
            if lower == "date":
                has_date = True
            elif lower == "content-length":
                length_field = value
                continue
            else:
                continue
        parts.append(f"{name}: {value}\r\n")
    if not has_date:
        parts.append(date_line())
    body = b""
    length = 0
    if stream is None:
        if resp.body is not None:
            body = resp.body
            length = len(body)
    else:
        length = stream.length
    no_body = ex.head or status < 200 or status == 204 or status == 304
    chunk_out = False
    if no_body:
        if status == 304 or (ex.head and status >= 200 and status != 204):
            if length_field:
                parts.append(f"Content-Length: {length_field}\r\n")
            elif ex.head and stream is None:
                parts.append(f"Content-Length: {length}\r\n")
    elif length >= 0:
        parts.append(f"Content-Length: {length}\r\n")
    elif ex.http10:
        ex.keep_alive = False  # delimited by closing the connection
    else:
        chunk_out = True
        parts.append("Transfer-Encoding: chunked\r\n")
    if not ex.keep_alive:
        parts.append("Connection: close\r\n\r\n")
    elif ex.http10:
        parts.append("Connection: keep-alive\r\n\r\n")
    else:
        parts.append("\r\n")
    text = "".join(parts)
    if not head_is_clean(text, len(parts) + (parts[-1] != "\r\n")):
        drop_unsafe_fields(ex, resp.headers)
        write_response(ex, resp, timeout)
        return
    try:
        head = text.encode("latin-1")
    except UnicodeEncodeError:
        head = encode_head(text)
    ex.status = status
    ex.head_sent = True
    if stream is None:
        if no_body:
            send(ex, head, timeout)
        else:
            send(ex, head + body if body else head, timeout)
            ex.sent = len(body)
        return
    if no_body:
        try:
            send(ex, head, timeout)
        finally:
            stream.close()
        return
    try:
        _stream_body(ex, head, stream, length, chunk_out, timeout)
    finally:
        stream.close()


def _stream_body(ex: Exchange, head: bytes, stream: BodyStream, length: int, chunk_out: bool,
                 timeout: float) -> None:
    first = stream.buffered()
    sent = len(first)
    if chunk_out:
        data = head + chunk(first) if first else head
        if stream.exhausted():
            send(ex, data + _CHUNK_END, timeout)
            ex.sent = sent
            return
    else:
        if length >= 0 and sent > length:
            first = first[:length]
            sent = length
        data = head + first if first else head
    send(ex, data, timeout)
    while True:
        if length >= 0 and sent >= length:
            if sent > length or not stream.exhausted():
                ex.keep_alive = False  # the stream broke its own length: no more on this connection
            break
        try:
            out = stream.read()
        except BaseException:
            ex.sent = sent
            raise
        if not out:
            if chunk_out:
                send(ex, _CHUNK_END, timeout)
            elif length >= 0 and sent < length:
                ex.keep_alive = False
                ex.sent = sent
                raise ClientGone(f"the response body ended after {sent} of {length} bytes")
            break
        if length >= 0 and sent + len(out) > length:
            out = out[:length - sent]
        sent += len(out)
        if chunk_out:
            if stream.exhausted():
                send(ex, chunk(out) + _CHUNK_END, timeout)
                break
            out = chunk(out)
        send(ex, out, timeout)
    ex.sent = sent


def send_local(ex: Exchange, resp: Response, timeout: float) -> None:
    """A response made by skipperd (shunt, inlineContent, errors): ``write_response`` under its old name."""
    write_response(ex, resp, timeout)


def error_response(status: int) -> Response:
    """Skipper's error response: the status text as plain text."""
    text = f"{reason(status) or 'Error'}\n".encode()
    return Response(status, Headers([
        ("server", "Server", SERVER),
        ("content-type", "Content-Type", "text/plain; charset=utf-8"),
        ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
    ]), text)
