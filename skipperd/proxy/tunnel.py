"""Upgraded connections (WebSocket and any other ``Upgrade``), with ``-experimental-upgrade``.

The worker marks a request as an upgrade when llhttp says so: a ``Connection`` header whose
token list names ``upgrade`` (Firefox sends ``keep-alive, Upgrade``) and an ``Upgrade`` header.
``Upstream.forward`` then sends it on a new backend connection with ``Connection: Upgrade`` and
the client's ``Upgrade`` value (both hop-by-hop, removed from every other request). A backend
that answers ``101 Switching Protocols`` gets its head relayed as it is (the handshake fields
``Upgrade``, ``Connection``, ``Sec-WebSocket-Accept`` included), and from then on ``run`` copies
bytes both ways until either side closes, then closes both, as Skipper's upgrade proxy does. Any
other answer is relayed as a plain response and the client connection closes after it.

Without the flag the request is forwarded as a plain one with its hop-by-hop fields removed, as
Skipper's transport does; the backend answers it as it sees fit (a WebSocket server: 400 or 426).

Each direction is one greenlet on the gevent hub; reads wait without a deadline (a WebSocket may
stay quiet for hours), writes within ``-write-timeout-server``.
"""

from __future__ import annotations

from typing import Any

import gevent

from skipperd.proxy import netio
from skipperd.proxy.config import FOREVER
from skipperd.proxy.errors import Tunnelled
from skipperd.proxy.exchange import Exchange
from skipperd.proxy.pool import UpstreamConn
from skipperd.proxy.respond import encode_head, send, status_line

RECV_SIZE = 65536


def _pump(src: netio.Channel, dst: netio.Channel, write_timeout: float) -> None:
    try:
        while True:
            data = src.recv(RECV_SIZE, FOREVER, "upgraded connection")
            if not data:
                return
            dst.send_all(data, write_timeout, "write to upgraded connection")
    except (OSError, netio.IOTimeout, netio.ChannelClosed):
        return


def switch(ex: Exchange, conn: UpstreamConn, write_timeout: float) -> None:
    """The backend answered 101: relay its head as it is, run the tunnel, raise ``Tunnelled``.

    The head is the backend's, not one that ``respond.write_response`` frames: a 101 carries the
    handshake fields (``Upgrade``, ``Connection``, ``Sec-WebSocket-Accept``) that the writer
    drops as hop-by-hop from every other response, and nothing of HTTP's framing follows it.
    """
    parts = [status_line(101)]
    for _, name, value in conn.items:
        parts.append(f"{name}: {value}\r\n")
    parts.append("\r\n")
    ex.status = 101
    ex.head_sent = True
    ex.keep_alive = False
    try:
        send(ex, encode_head("".join(parts)), write_timeout)
        early = b"".join(conn.body)
        conn.body.clear()
        run(ex.client, conn.ch, ex.upgrade[1] if ex.upgrade else b"", early, write_timeout)
    finally:
        conn.close()
    raise Tunnelled("upgraded connection closed")


def run(client: netio.Channel, backend: netio.Channel, to_backend: bytes, to_client: bytes,
        write_timeout: float) -> None:
    """Copy both ways until one side ends; the bytes each side sent early go first."""
    try:
        if to_client:
            client.send_all(to_client, write_timeout, "write to upgraded connection")
        if to_backend:
            backend.send_all(to_backend, write_timeout, "write to upgraded connection")
    except (OSError, netio.IOTimeout, netio.ChannelClosed):
        backend.close()
        return
    pumps: list[Any] = [gevent.spawn(_pump, client, backend, write_timeout),
                        gevent.spawn(_pump, backend, client, write_timeout)]
    try:
        gevent.wait(pumps, count=1)
    finally:
        for g in pumps:
            g.kill()
        backend.close()
