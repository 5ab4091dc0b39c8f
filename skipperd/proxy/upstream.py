"""Forwarding one request to a network endpoint and streaming the response back.

``Upstream.forward`` checks a connection out of the endpoint's pool (or connects), sends the
request head (with the body's first piece when it came with the head), streams the rest of the
body in bounded pieces (re-chunked when the client sent it chunked), and reads the response head
with the connection's reused httptools parser. The response's body is an ``UpstreamBody``
stream that filters may wrap; ``skipperd.proxy.respond.write_response`` frames and sends it.
The request's framing comes from the request body as filters left it (``request_head``).

A pooled connection that the backend closed while it idled fails on use, before any byte of
the response: a request without a body is then sent once more on a new connection.
"""

from __future__ import annotations

import errno
import socket
import ssl
from urllib.parse import quote

import httptools

from skipperd.filters.backend_proxy import BACKEND_IS_PROXY_KEY
from skipperd.http.body import BodyError, RequestBody
from skipperd.http.context import FilterContext
from skipperd.http.fields import head_is_clean, unsafe_fields
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.proxy import netio, tunnel
from skipperd.proxy.config import FOREVER, ProxyConfig
from skipperd.proxy.errors import ClientGone, ConnectError, ProxyError, RequestBodyError
from skipperd.proxy.exchange import Exchange
from skipperd.proxy.hop import HOP_BY_HOP, connection_options
from skipperd.proxy.pool import BackendLimit, Pool, PoolKey, Pools, UpstreamConn
from skipperd.proxy.respond import encode_head

RECV_SIZE = 65536
_CHUNK_END = b"0\r\n\r\n"
#: Request fields never forwarded as received: hop-by-hop ones, Host (written from the outgoing
#: host) and Expect (skipperd answers 100-continue itself and streams the body).
_REQUEST_SKIP = HOP_BY_HOP | {"host", "expect", "content-length"}
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
_CONNECT_FAILED = (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNRESET,
                   errno.EADDRNOTAVAIL, errno.ENETDOWN, errno.EHOSTDOWN)


class _Stale(Exception):
    """A reused connection failed before any response byte: send the request again."""


class UpstreamBroken(BodyError):
    """The backend failed after the response head went to the client: abort the client connection."""


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def host_port(scheme: str, host: str, port: int) -> str:
    h = f"[{host}]" if ":" in host else host
    if (scheme == "http" and port == 80) or (scheme == "https" and port == 443):
        return h
    return f"{h}:{port}"


def tls_context(insecure: bool) -> ssl.SSLContext:
    """The client context of https backends: the system trust store (``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR`` override it, as for Go), host name verification, HTTP/1.1 by ALPN; with
    ``-insecure``, no verification at all (Skipper's ``InsecureSkipVerify``)."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class Upstream:
    __slots__ = ("cfg", "pools", "endpoints", "tls")

    def __init__(self, cfg: ProxyConfig, pools: Pools) -> None:
        self.cfg = cfg
        self.pools = pools
        # (scheme, host, port) -> (pool, "host:port" for the Host header)
        self.endpoints: dict[tuple[str, str, int], tuple[Pool, str]] = {}
        self.tls: ssl.SSLContext | None = None  # made at the first https connection

    def endpoint(self, key: tuple[str, str, int]) -> tuple[Pool, str]:
        """The pool of an endpoint ``(scheme, host, port)`` and its Host header value."""
        ep = self.endpoints.get(key)
        if ep is None:
            if len(self.endpoints) > 10000:  # dynamic backends without end: start over
                self.endpoints.clear()
                self.pools.close_all()
            scheme, host, port = key
            ep = self.endpoints[key] = (self.pools.pool(PoolKey(scheme, host, port)),
                                         host_port(scheme, host, port))
        return ep

    def forget(self, keys: set[tuple[str, str, int]]) -> None:
        """Close the pools of endpoints that left the route table."""
        for key in keys:
            self.endpoints.pop(key, None)
            self.pools.close_pool(PoolKey(*key))

    # --- request ---------------------------------------------------------------------------------

    def request_head(self, ex: Exchange, ctx: FilterContext, host: str, body: RequestBody | None) -> bytes:
        """The request head; its framing comes from ``body`` (the request body as filters left
        it), never from the fields: a body of known length gets its ``Content-Length``, one of
        unknown length is chunked, no body keeps a ``Content-Length: 0`` the client sent."""
        req = ctx.request
        target = quote(req.path, safe=_SAFE_PATH) if req.path_changed else req.raw_path
        if req.query:
            target = f"{target}?{req.query}"
        bag = ctx.state_bag
        if bag and BACKEND_IS_PROXY_KEY in bag:
            # backendIsProxy: the backend is a proxy, asked in absolute form for the client's host.
            target = f"http://{req.host}{target}"
        parts = [f"{req.method} {target} HTTP/1.1\r\nHost: {host}\r\n"]
        for lower, name, value in req.headers.raw():
            if lower in _REQUEST_SKIP:
                if lower == "content-length" and body is None:
                    parts.append("Content-Length: 0\r\n")
                continue
            parts.append(f"{name}: {value}\r\n")
        if body is not None:
            if body.chunked or body.length < 0:
                parts.append("Transfer-Encoding: chunked\r\n")
            else:
                parts.append(f"Content-Length: {body.length}\r\n")
        if self.cfg.disable_keepalives:
            parts.append("Connection: close\r\n")
        parts.append("\r\n")
        text = "".join(parts)
        if not head_is_clean(text, len(parts) + 1):
            bad = sorted(set(unsafe_fields(req.headers.raw())))
            what = f"header {', '.join(bad)}" if bad else "request target or Host"
            raise ProxyError(400, f"{what} would carry CR, LF or NUL to the backend")
        return encode_head(text)

    def connect(self, pool: Pool, timeout: float = 0.0) -> UpstreamConn:
        """A new connection to the pool's endpoint; ``timeout`` instead of ``-timeout-backend``."""
        key = pool.key
        cfg = self.cfg
        limit = timeout if timeout > 0 else cfg.connect_timeout
        try:
            if key.scheme == "http":
                ch = netio.connect(key.host, key.port, limit, cfg.tcp_keepalive)
            else:
                ch = self._connect_tls(pool, limit)
        except netio.IOTimeout as t:
            raise ConnectError(504, f"{t.what} with {key.host}:{key.port} timed out") from None
        except ssl.SSLError as se:
            detail = getattr(se, "verify_message", "")  # why a certificate was refused
            raise ConnectError(502, f"TLS handshake with {key.host}:{key.port}: {se.reason or se}"
                                    f"{': ' + detail if detail else ''}") from None
        except socket.gaierror as e:
            raise ConnectError(502, f"cannot resolve {key.host}: {e}") from None
        except OSError as e:
            raise ConnectError(502, f"connect to {key.host}:{key.port}: {e.strerror or e}") from None
        return UpstreamConn(ch, pool)

    def _connect_tls(self, pool: Pool, timeout: float) -> netio.Channel:
        if self.tls is None:
            self.tls = tls_context(self.cfg.insecure)
        key = pool.key
        # New connections resume the pool's TLS session: no full handshake.
        return netio.connect(key.host, key.port, timeout, self.cfg.tcp_keepalive,
                             self.tls, min(timeout, self.cfg.tls_timeout), pool)

    def forward(self, ex: Exchange, ctx: FilterContext, pool: Pool, host: str) -> Response:
        """Send the request to the pool's endpoint; the response head, its body still to stream.

        ``ctx.backend_timeout`` (backendTimeout) bounds the whole exchange: connecting, sending,
        the head (504 when it runs out) and the body (cut off when it runs out)."""
        if ex.upgrade is not None:
            return self._forward_upgrade(ex, ctx, pool, host)
        body = ctx.request_body
        head = self.request_head(ex, ctx, host, body)
        limit = ctx.backend_timeout
        deadline = netio.refresh_now() + limit if limit > 0 else 0.0
        timeout = min(limit, self.cfg.header_timeout) if limit > 0 else self.cfg.header_timeout
        conn = None if self.cfg.disable_keepalives else pool.get()
        if conn is None:
            conn = self.connect(pool, min(limit, self.cfg.connect_timeout) if limit > 0 else 0.0)
        try:
            try:
                self._exchange(conn, head, body, conn.reused and body is None, timeout)
            except _Stale:
                conn.close()
                conn = self.connect(pool, _left(deadline, self.cfg.connect_timeout))
                self._exchange(conn, head, body, False, _left(deadline, timeout))
        except BaseException:
            conn.close()
            raise
        items = conn.items
        if conn.conn_tokens:
            # Fields the backend's Connection header names are hop-by-hop: gone before filters run.
            drop = connection_options(conn.conn_tokens)
            items = [t for t in items if t[0] not in drop]
        resp = Response(conn.status, Headers(items))
        resp.has_server = conn.has_server
        if ex.head:
            conn.new_parser()  # llhttp would wait for the body the head announced
            conn.done = True
        if self.cfg.disable_keepalives:
            conn.keep_alive = False
        resp.stream = UpstreamBody(conn, min(deadline, ex.write_deadline) if deadline else ex.write_deadline)
        return resp

    def _forward_upgrade(self, ex: Exchange, ctx: FilterContext, pool: Pool, host: str) -> Response:
        """An upgrade request (proxy/tunnel.py) on a new connection, as Skipper dials one. A 101
        starts the tunnel at once (response filters do not run, as in Skipper) and ends in
        ``Tunnelled``; any other answer is returned as a plain response."""
        if ex.http10:
            raise ProxyError(400, "protocol upgrade requested over HTTP/1.0")
        proto = ex.upgrade[0] if ex.upgrade else ""  # read before the Connection-named fields went
        if not proto or "\r" in proto or "\n" in proto or "\0" in proto:
            raise ProxyError(400, "upgrade request without a valid Upgrade header")
        body = ctx.request_body
        head = self.request_head(ex, ctx, host, body)
        if self.cfg.disable_keepalives:
            head = head.replace(b"\r\nConnection: close\r\n\r\n", b"\r\n\r\n")
        head = head[:-2] + encode_head(f"Connection: Upgrade\r\nUpgrade: {proto}\r\n\r\n")
        conn = self.connect(pool)
        conn.upgrading = True
        try:
            self._exchange(conn, head, body, False, self.cfg.header_timeout)
        except BaseException:
            conn.close()
            raise
        if self.cfg.upgrade_audit:
            req = ctx.request
            tunnel.audit_request(req.method, req.path, req.query)
        if conn.status == 101:
            tunnel.switch(ex, conn, self.cfg)  # raises Tunnelled when it ends
        resp = Response(conn.status, Headers(conn.items))
        resp.has_server = conn.has_server
        conn.keep_alive = False
        resp.stream = UpstreamBody(conn)
        return resp

    def _exchange(self, conn: UpstreamConn, head: bytes, body: RequestBody | None, retry: bool,
                  timeout: float) -> None:
        conn.reset()
        ch = conn.ch
        try:
            if body is None:
                ch.send_all(head, timeout, "write to backend")
            else:
                self._send_body(ch, head, body, timeout)
        except netio.IOTimeout:
            raise ProxyError(504, "write to backend timed out") from None
        except OSError as e:
            if retry:
                raise _Stale() from None
            if body is None:
                raise ProxyError(503, f"write to backend: {e.strerror or e}") from None
            # The backend may have answered early (413 ...) and closed: read what it said.
        self._read_head(conn, retry, timeout)

    def _send_body(self, ch: netio.Channel, head: bytes, body: RequestBody, timeout: float) -> None:
        first = body.buffered()
        if body.chunked or body.length < 0:
            ch.send_all(head + _chunk(first) if first else head, timeout, "write to backend")
            while True:
                piece = body.read()
                if not piece:
                    ch.send_all(_CHUNK_END, timeout, "write to backend")
                    return
                ch.send_all(_chunk(piece), timeout, "write to backend")
        ch.send_all(head + first if first else head, timeout, "write to backend")
        while True:
            piece = body.read()
            if not piece:
                return
            ch.send_all(piece, timeout, "write to backend")

    def _read_head(self, conn: UpstreamConn, retry: bool, timeout: float) -> None:
        ch = conn.ch
        parser = conn.parser
        deadline = netio.now() + timeout  # for the whole head, not each read
        got = 0
        max_fed = conn.max_head + RECV_SIZE
        while True:
            try:
                data = ch.recv_after_wait(RECV_SIZE, deadline - netio.now(), "backend response header")
            except netio.IOTimeout:
                raise ProxyError(504, "timeout waiting for the backend's response header") from None
            except OSError as e:
                if retry and not got:
                    raise _Stale() from None
                raise ProxyError(503, f"reading the backend response: {e.strerror or e}") from None
            if not data:
                if retry and not got:
                    raise _Stale()
                raise ProxyError(503, "the backend closed the connection before responding")
            got += len(data)
            try:
                parser.feed_data(data)
            except httptools.HttpParserUpgrade as up:
                if not (conn.upgrading and conn.status == 101):
                    raise ProxyError(503, "the backend switched protocols without being asked to") from None
                rest = data[up.args[0]:]
                if rest:
                    conn.body.append(rest)  # the other protocol's first bytes, for the client
                return
            except httptools.HttpParserError as e:
                cause = e.__context__
                if isinstance(cause, BackendLimit):
                    raise ProxyError(502, cause.reason) from None
                if not conn.done:
                    raise ProxyError(503, f"malformed backend response: {e}") from None
                # Bytes past the end of the response: never relayed, the connection not reused.
                conn.keep_alive = False
            if conn.head_done:
                if conn.status >= 200:
                    return
                # An interim response whose end has not arrived yet: a 1xx has no body.
                raise ProxyError(503, "malformed interim response from the backend")
            if got > max_fed:
                # httptools gathers a field before calling back: bound what it may gather.
                raise ProxyError(502, "backend response head too large")



def _left(deadline: float, timeout: float) -> float:
    """``timeout``, or less when a deadline comes sooner (504 when it has passed)."""
    if not deadline:
        return timeout
    left = deadline - netio.refresh_now()
    if left <= 0:
        raise ProxyError(504, "the backend timeout ran out")
    return min(left, timeout)


class UpstreamBody:
    """A backend response's body as a ``BodyStream``: pieces as llhttp parses them.

    ``close()`` gives the connection back to its pool when the body was read to its end and the
    backend keeps the connection; otherwise the connection is closed.
    """

    __slots__ = ("conn", "length", "deadline")

    def __init__(self, conn: UpstreamConn, deadline: float = 0.0) -> None:
        self.conn = conn
        self.length = -1 if conn.chunked or conn.length < 0 else conn.length
        # Waiting for the backend counts against the response's write deadline (the whole
        # response, -write-timeout-server) and the backendTimeout filter's; 0: none.
        self.deadline = deadline

    def buffered(self) -> bytes:
        pieces = self.conn.body
        if not pieces:
            return b""
        out = b"".join(pieces) if len(pieces) != 1 else pieces[0]
        pieces.clear()
        return out

    def exhausted(self) -> bool:
        conn = self.conn
        return conn.done and not conn.body

    def read(self) -> bytes:
        conn = self.conn
        pieces = conn.body
        while not pieces:
            if conn.done:
                return b""
            try:
                wait = self.deadline - netio.now() if self.deadline else FOREVER
                data = conn.ch.recv(RECV_SIZE, wait if wait > 0 else 0.001, "backend body")
            except netio.IOTimeout:
                raise UpstreamBroken("the backend or write deadline ran out while reading the body") from None
            except OSError as e:
                raise UpstreamBroken(f"reading the backend body: {e.strerror or e}") from None
            if not data:
                if not conn.chunked and conn.length < 0:  # delimited by the backend's close
                    conn.done = True
                    conn.keep_alive = False
                    return b""
                raise UpstreamBroken("the backend closed the connection in the middle of the body")
            try:
                conn.parser.feed_data(data)
            except httptools.HttpParserError as e:
                if not conn.done:
                    raise UpstreamBroken(f"malformed backend body: {e}") from None
                conn.keep_alive = False  # bytes past the end of the response: dropped with the connection
        out = b"".join(pieces) if len(pieces) != 1 else pieces[0]
        pieces.clear()
        return out

    def close(self) -> None:
        conn = self.conn
        if conn.done and conn.keep_alive and not conn.body:
            conn.pool.put(conn)
        else:
            conn.close()


__all__ = ["Upstream", "UpstreamBroken", "ClientGone", "RequestBodyError", "host_port"]
