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
stay quiet for hours), writes within ``-write-timeout-server``. As in Skipper, a tunnel has no idle
timeout (Go clears a connection's deadlines when it is hijacked): a peer that went away without a
word is found by TCP keep-alive, on the backend connection with ``-keepalive-backend`` (set when
it was dialled) and on the client connection with ``-upgrade-client-keepalive`` (Go's listener
default, 15 s, set when the tunnel starts, so plain requests pay nothing for it). After the
idle time and nine unanswered probes one interval apart the kernel fails the socket's read, and
the tunnel closes both sides, which frees the worker's connection. The same bound applies to
bytes a vanished peer never acknowledged (``TCP_USER_TIMEOUT``, which Go does not set: without
it the kernel retransmits for about 15 minutes and keep-alive waits).

With ``-experimental-upgrade-audit`` (Skipper's audit of upgrades), each upgrade request's
method, path, query and fragment go to standard error as one JSON document, and every byte the
backend sends through the tunnel is copied to standard output before it goes to the client.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any, Callable

import gevent

from skipperd.proxy import netio
from skipperd.proxy.config import FOREVER, ProxyConfig
from skipperd.proxy.errors import Tunnelled
from skipperd.proxy.exchange import Exchange
from skipperd.proxy.pool import UpstreamConn
from skipperd.proxy.respond import encode_head, send, status_line

RECV_SIZE = 65536
KEEPALIVE_PROBES = 9  # Linux's default tcp_keepalive_probes, as Go leaves it
STDOUT = 1
STDERR = 2

Audit = Callable[[bytes], None]


def write_fd(fd: int, data: bytes) -> None:
    """All of ``data`` to ``fd`` (standard output or error); a failed write loses the rest."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass


def audit_stdout(data: bytes) -> None:
    write_fd(STDOUT, data)


def audit_request(method: str, path: str, query: str) -> None:
    """The audit line of an upgrade request, with Skipper's keys (a request carries no fragment)."""
    doc = {"method": method, "path": path, "query": query, "fragment": ""}
    write_fd(STDERR, json.dumps(doc, separators=(",", ":")).encode() + b"\n")


def _drop_when_silent(sock: Any, period: float) -> None:
    """TCP keep-alive every ``period`` seconds, and the same bound (idle time and nine probes)
    on data left unacknowledged (``TCP_USER_TIMEOUT``): a peer that vanished while bytes were in
    flight would otherwise hold the socket for the kernel's retransmissions, about 15 minutes."""
    if period <= 0:
        return
    try:
        netio.set_keepalive(sock, period)
        if hasattr(socket, "TCP_USER_TIMEOUT"):
            limit = max(1, int(period)) * (1 + KEEPALIVE_PROBES)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, limit * 1000)
    except OSError:
        pass


def _pump(src: netio.Channel, dst: netio.Channel, write_timeout: float, audit: Audit | None) -> None:
    try:
        while True:
            data = src.recv(RECV_SIZE, FOREVER, "upgraded connection")
            if not data:
                return
            if audit is not None:
                audit(data)
            dst.send_all(data, write_timeout, "write to upgraded connection")
    except (OSError, netio.IOTimeout, netio.ChannelClosed):
        return


def switch(ex: Exchange, conn: UpstreamConn, cfg: ProxyConfig) -> None:
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
    write_timeout = cfg.write_timeout
    try:
        send(ex, encode_head("".join(parts)), write_timeout)
        _drop_when_silent(ex.client.sock, cfg.upgrade_client_keepalive)
        _drop_when_silent(conn.ch.sock, cfg.tcp_keepalive)
        early = b"".join(conn.body)
        conn.body.clear()
        run(ex.client, conn.ch, ex.upgrade[1] if ex.upgrade else b"", early, write_timeout,
            audit_stdout if cfg.upgrade_audit else None)
    finally:
        conn.close()
    raise Tunnelled("upgraded connection closed")


def run(client: netio.Channel, backend: netio.Channel, to_backend: bytes, to_client: bytes,
        write_timeout: float, audit: Audit | None = None) -> None:
    """Copy both ways until one side ends; the bytes each side sent early go first. ``audit``
    sees every byte from the backend before the client does."""
    try:
        if to_client:
            if audit is not None:
                audit(to_client)
            client.send_all(to_client, write_timeout, "write to upgraded connection")
        if to_backend:
            backend.send_all(to_backend, write_timeout, "write to upgraded connection")
    except (OSError, netio.IOTimeout, netio.ChannelClosed):
        backend.close()
        return
    pumps: list[Any] = [gevent.spawn(_pump, client, backend, write_timeout, None),
                        gevent.spawn(_pump, backend, client, write_timeout, audit)]
    try:
        gevent.wait(pumps, count=1)
    finally:
        for g in pumps:
            g.kill()
        backend.close()
