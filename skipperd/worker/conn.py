"""One client connection: HTTP/1.1 parsed with httptools, requests served one after the other.

How it works
============

The connection object is the httptools protocol of its parser (one ``HttpRequestParser`` per
connection, reused across keep-alive requests). Every ``recv`` (at most ``RECV_SIZE`` bytes) is
fed to the parser at once; the callbacks build ``_Message`` objects: a message whose head is
complete goes to the ``ready`` queue, body pieces go to the message being parsed. Pipelined
requests therefore queue up parsed; they are served in order, the next one only after the
previous response went out. Nothing is read from the socket unless the request being served
needs more of its body or the queue is empty, so memory per connection stays bounded by a few
receive buffers whatever the client sends.

Limits are enforced in the callbacks: head bytes (``-max-header-bytes``) and field count
(``-max-header-count``) answer 431, a Content-Length over ``-max-content-length`` 413 up front,
a chunked body that grows past it 413 by counting. A parser error is remembered (``broken``)
and answered 400 with ``Connection: close`` once the requests parsed before it are served.

Timeouts: waiting for a new request uses ``-idle-timeout-server``; once its first byte is read,
the head must be complete within ``-read-header-timeout-server`` (the first request of a
connection gets that one from the start, as in Go); every read of a body waits at most
``-read-timeout-server``; every write ``-write-timeout-server`` (in the proxy).
"""

from __future__ import annotations

import logging
from collections import deque
from time import perf_counter
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httptools

from skipperd.http.fields import NAMES as _NAMES, header_name
from skipperd.http.headers import Headers
from skipperd.http.request import Request
from skipperd.proxy import netio
from skipperd.proxy.errors import ClientGone, RequestBodyError
from skipperd.proxy.exchange import Exchange
from skipperd.proxy.hop import connection_options
from skipperd.proxy.respond import error_response, send_local
from skipperd.http.body import BodyError

if TYPE_CHECKING:
    from skipperd.worker.server import Server

log = logging.getLogger("skipperd.worker")

RECV_SIZE = 65536
DRAIN_LIMIT = 256 * 1024  # unread body bytes discarded to keep a connection (Go: 256 KB)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_SPECIAL = frozenset({"host", "content-length", "transfer-encoding", "expect", "connection"})
_METHODS: dict[bytes, str] = {}
_PLAIN_CONNECTION = frozenset({"keep-alive", "close"})
_ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE"  # of a 405 (CONNECT)


class _Limit(Exception):
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


class _Message:
    __slots__ = ("url", "items", "method", "keep_alive", "http10", "version", "length", "chunked",
                 "expect", "continued", "host", "has_host", "conn_values", "body", "received",
                 "complete", "head_bytes", "head_done", "fed", "trailers", "upgrade")

    def __init__(self) -> None:
        self.url = b""
        self.items: list[tuple[str, str, str]] = []
        self.method = "GET"
        self.keep_alive = True
        self.http10 = False
        self.version = "1.1"
        self.length = -1
        self.chunked = False
        self.expect = False
        self.continued = False
        self.host = ""
        self.has_host = False
        self.conn_values: list[str] | None = None
        self.body: list[bytes] = []
        self.received = 0
        self.complete = False
        self.head_bytes = 0
        self.head_done = False
        self.fed = 0  # bytes fed while the head was incomplete (over-counts by < one recv)
        self.trailers = 0  # trailer fields seen (dropped)
        self.upgrade: bytes | None = None  # an upgrade request: the client's bytes after it


class _Body:
    """The request body as the proxy reads it (``skipperd.proxy.exchange.BodySource``)."""

    __slots__ = ("conn", "msg", "length", "chunked", "timeout")

    def __init__(self, conn: "ClientConnection", msg: _Message) -> None:
        self.conn = conn
        self.msg = msg
        self.length = msg.length
        self.chunked = msg.chunked
        self.timeout = 0.0  # per read, instead of -read-timeout-server (the readTimeout filter)

    @property
    def complete(self) -> bool:
        return self.msg.complete

    def buffered(self) -> bytes:
        pieces = self.msg.body
        if not pieces:
            return b""
        data = b"".join(pieces)
        pieces.clear()
        return data

    def read(self) -> bytes:
        m = self.msg
        conn = self.conn
        while not m.body:
            if m.complete:
                return b""
            if conn.broken is not None:
                raise RequestBodyError(*conn.broken)
            if m.expect and not m.continued and not m.received:
                m.continued = True
                try:
                    conn.ch.send_all(_CONTINUE, conn.server.write_timeout, "write to client")
                except (OSError, netio.IOTimeout) as e:
                    raise ClientGone(str(e)) from None
            conn.fill_body(self.timeout)
        data = b"".join(m.body) if len(m.body) != 1 else m.body[0]
        m.body.clear()
        return data

    def reusable_after_response(self) -> bool:
        m = self.msg
        if m.complete:
            return True
        if m.expect and not m.continued:
            return False  # the client waits for 100 Continue and will not send the body
        if m.chunked or self.conn.broken is not None:
            return False
        return m.length - m.received <= DRAIN_LIMIT


class ClientConnection:
    __slots__ = ("server", "ch", "remote", "parser", "ready", "cur", "requests", "forwarded", "broken",
                 "upgraded", "idle", "head_deadline", "max_head", "max_fields", "max_body", "read_header_timeout")

    def __init__(self, server: "Server", sock: Any, addr: Any) -> None:
        self.server = server
        self.ch = netio.Channel(sock)
        self.remote = addr[0] if isinstance(addr, tuple) else ""
        self.parser = httptools.HttpRequestParser(self)
        self.ready: deque[_Message] = deque()
        self.cur: _Message | None = None
        self.requests = 0
        fw = server.proxy.cfg.forwarded
        self.forwarded = fw if fw is not None and fw.applies_to(self.remote) else None
        self.broken: tuple[int, str] | None = None
        self.upgraded = False
        self.idle = False
        self.head_deadline = 0.0
        # Limits copied from the server: read in every callback.
        self.max_head = server.max_header_bytes
        self.max_fields = server.max_header_count
        self.max_body = server.max_content_length
        self.read_header_timeout = server.read_header_timeout

    # --- httptools callbacks (hot: no asserts, locals over attribute chains) ----------------------

    # No on_message_begin: the URL is the first thing of every request, so the message starts
    # there (one callback less per request).

    def on_url(self, url: bytes) -> None:
        m: Any = self.cur
        if m is None:
            m = self.cur = _Message()
            if self.requests:
                self.head_deadline = netio.now() + self.read_header_timeout
        m.url += url
        m.head_bytes += len(url)
        if m.head_bytes > self.max_head:
            raise _Limit(431, "request head too large")

    def on_header(self, name: bytes, value: bytes) -> None:
        m: Any = self.cur
        items = m.items
        m.head_bytes += len(name) + len(value) + 4
        if m.head_bytes > self.max_head:
            raise _Limit(431, "request head too large")
        if len(items) >= self.max_fields:
            raise _Limit(431, "too many header fields")
        if m.head_done:
            # A field of a chunked body's trailer: counted against the limits above, never
            # merged into the request (routing and the backend see the head only, as in Go).
            m.trailers += 1
            return
        t = _NAMES.get(name) or header_name(name)
        lower = t[0]
        v = value.decode("latin-1")
        items.append((lower, t[1], v))
        if lower in _SPECIAL:
            if lower == "host":
                if m.has_host:
                    raise _Limit(400, "more than one Host header")  # RFC 9112 §3.2
                m.host = v
                m.has_host = True
            elif lower == "content-length":
                try:
                    m.length = int(v)
                except ValueError:
                    raise _Limit(400, "invalid Content-Length") from None
            elif lower == "transfer-encoding":
                m.chunked = m.chunked or "chunked" in v.lower()
            elif lower == "expect":
                m.expect = v.lower() == "100-continue"
            elif lower == "connection" and v.lower() not in _PLAIN_CONNECTION:
                if m.conn_values is None:
                    m.conn_values = []
                m.conn_values.append(v)

    def on_headers_complete(self) -> None:
        m: Any = self.cur
        p = self.parser
        raw = p.get_method()
        method = _METHODS.get(raw)
        if method is None:
            method = raw.decode("ascii")
            if len(_METHODS) < 64:
                _METHODS[raw] = method
        m.method = method
        m.keep_alive = p.should_keep_alive()
        version = p.get_http_version()
        if version == "1.0":
            m.http10 = True
            m.version = "1.0"
            m.expect = False
        elif version != "1.1":
            # llhttp reads HTTP/0.9 and HTTP/2.0 heads; neither is HTTP/1 (Go answers 505 too).
            raise _Limit(505, f"HTTP/{version} is not supported")
        elif not m.has_host:
            raise _Limit(400, "missing required Host header")
        if method == "CONNECT":
            # skipperd is no forward proxy: no tunnels (answered 405 and closed, the bytes after
            # the head belong to the tunnel the client expects).
            raise _Limit(405, "CONNECT is not supported")
        url = m.url
        if url[:1] != b"/" and url != b"*":
            _absolute_form(m)
        if m.length > 0 and self.max_body and m.length > self.max_body:
            raise _Limit(413, "request body too large")
        if m.chunked:
            m.length = -1
        m.head_done = True
        self.ready.append(m)

    def on_body(self, data: bytes) -> None:
        m: Any = self.cur
        m.received += len(data)
        m.body.append(data)
        if self.max_body and m.received > self.max_body:
            raise _Limit(413, "request body too large")

    def on_message_complete(self) -> None:
        m: Any = self.cur
        m.complete = True
        self.cur = None

    # --- reading ---------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as e:
            cause = e.__context__
            if isinstance(cause, _Limit):
                self.broken = (cause.status, cause.reason)
            else:
                self.broken = (400, f"bad request: {cause or e}")
        except httptools.HttpParserUpgrade as up:
            # The bytes after this request belong to another protocol. With -experimental-upgrade
            # the request is tunnelled (proxy/tunnel.py) and those bytes go to the backend once
            # it switched; without, it is served as a plain request, then the connection closes.
            self.upgraded = True
            m = self.cur
            if m is not None and m in self.ready:
                m.complete = True
                self.cur = None
            if self.ready:
                self.ready[-1].upgrade = data[up.args[0]:]
        except httptools.HttpParserError as e:
            self.broken = (400, f"malformed request: {e}")

    def fill_body(self, timeout: float = 0.0) -> None:
        """Read and parse more of the current request's body; errors become RequestBodyError."""
        try:
            data = self.ch.recv(RECV_SIZE, timeout if timeout > 0 else self.server.read_timeout,
                                "read request body")
        except netio.IOTimeout:
            raise RequestBodyError(408, "timeout reading the request body") from None
        except OSError as e:
            raise ClientGone(str(e)) from None
        if not data:
            raise ClientGone("client closed the connection during the request body")
        if self.upgraded:
            return
        self.feed(data)

    def next_message(self) -> _Message | None:
        ready = self.ready
        server = self.server
        while not ready:
            if self.broken is not None:
                self.answer_broken()
                return None
            if self.upgraded:
                return None
            partial = self.cur is not None
            if partial:
                timeout = self.head_deadline - netio.now()
                if timeout <= 0:
                    return None
                what = "read request header"
            else:
                # Stopping: keep-alive connections close; a new one gets its first request served.
                if server.stopping and self.requests:
                    return None
                if self.requests:
                    timeout = server.idle_timeout
                    what = "idle"
                else:
                    timeout = self.head_deadline - netio.now()
                    what = "read request header"
            self.idle = not partial and self.requests > 0
            try:
                data = self.ch.recv_next(RECV_SIZE, timeout, what)
            except (netio.IOTimeout, OSError):
                return None
            finally:
                self.idle = False
            if not data:
                return None
            self.feed(data)
            m = self.cur
            if m is not None and not m.head_done:
                # httptools gathers a field before calling back: bound what it may gather.
                m.fed += len(data)
                if m.fed > server.max_header_bytes + RECV_SIZE and self.broken is None:
                    self.broken = (431, "request head too large")
        return ready.popleft()

    # --- serving ---------------------------------------------------------------------------------

    def answer_broken(self) -> None:
        assert self.broken is not None
        status, reason = self.broken
        if status == 400:
            # One line per bad client, no traceback: a scanner must not flood the log.
            log.info("bad request from %s: %s", self.remote, reason)
        ex = Exchange(Request("-", "", Headers(), remote_addr=self.remote), self.ch, None, False)
        resp = error_response(status)
        if status == 405:
            resp.headers.add("Allow", _ALLOW)
        try:
            send_local(ex, resp, self.server.write_timeout)
        except (ClientGone, OSError, netio.IOTimeout):
            pass

    def build_request(self, m: _Message) -> Request:
        url = m.url
        if b"#" in url:
            url = url[:url.find(b"#")]
        host = m.host
        if url[:1] == b"/":
            raw, _, query = url.partition(b"?")
            raw_path = raw.decode("latin-1")
            path = unquote(raw_path) if "%" in raw_path else raw_path
            qs = query.decode("latin-1")
        else:  # "*" (OPTIONS); the absolute form became the origin form in on_headers_complete
            raw_path = path = url.decode("latin-1")
            qs = ""
        if self.server.normalize_host:
            host = _normalize_host(host)
        return Request(m.method, path, Headers(m.items), raw_path, qs, host, self.remote, "http", m.version)

    def serve(self) -> None:
        server = self.server
        self.head_deadline = netio.now() + server.read_header_timeout
        try:
            while True:
                m = self.next_message()
                if m is None:
                    return
                if not self.handle(m):
                    return
        except BodyError as e:
            log.warning("response from the backend cut off, closing the client connection from %s: %s",
                        self.remote, e)
        except (ClientGone, OSError, netio.IOTimeout):
            return
        finally:
            self.ch.close()

    def handle(self, m: _Message) -> bool:
        server = self.server
        self.requests += 1
        req = self.build_request(m)
        limit = server.keepalive_requests
        keep = m.keep_alive and not server.stopping and not self.upgraded and not (limit and self.requests >= limit)
        body = _Body(self, m) if (m.length > 0 or m.chunked) else None
        if self.upgraded and m.upgrade is not None and server.proxy.cfg.upgrade:
            # Read before the Connection-named fields go: Upgrade is one of them.
            upgrade: tuple[str, bytes] | None = (req.headers.get("upgrade") or "", m.upgrade)
        else:
            upgrade = None
        if m.conn_values:
            # Fields the client's Connection header names are hop-by-hop: removed from what the
            # client sent, before the filters run (a field a filter sets is forwarded).
            req.headers.remove_names(connection_options(m.conn_values))
        ex = Exchange(req, self.ch, body, keep, m.http10)
        ex.write_deadline = netio.now() + server.write_timeout
        if upgrade is not None:
            ex.upgrade = upgrade
        if self.forwarded is not None:
            self.forwarded.apply(req)
        tables = server.tables
        table = tables.table if tables.reader.generation() == tables.generation else tables.current()
        started = perf_counter()
        try:
            server.proxy.serve(ex, table)
        except (ClientGone, BodyError, OSError, netio.IOTimeout):
            raise
        except Exception:
            # A bug (in a filter, say) costs this request and connection, not the worker.
            log.exception("internal error serving %s %s from %s (route %s)", req.method, req.raw_path,
                          self.remote, ex.route_id or "-")
            if not ex.head_sent:
                ex.keep_alive = False
                send_local(ex, error_response(500), server.write_timeout)
            return False
        finally:
            if ex.status:
                elapsed = perf_counter() - started
                rm = server.request_metrics
                if rm is not None:
                    rm.done(ex, elapsed)
                al = server.access
                if al is not None:
                    al.log(ex, m.url, elapsed)
        if not ex.keep_alive:
            return False
        if body is not None and not m.complete:
            # Discard what the route did not read (Go discards up to 256 KB to keep a connection).
            while not m.complete:
                if self.broken is not None:
                    return False
                try:
                    self.fill_body()
                except (RequestBodyError, ClientGone):
                    return False
                m.body.clear()
        m.body = []
        return True


_SCHEMES = frozenset({b"http", b"https"})


def _absolute_form(m: _Message) -> None:
    """``GET http://host:port/path?q HTTP/1.1`` (RFC 9112 §3.2.2): the host comes from the target.

    The Host field is ignored then (it was still required for HTTP/1.1); ``m.url`` becomes the
    origin form. Any other target (authority form outside CONNECT, a scheme other than http(s),
    no authority) is a 400.
    """
    url = m.url
    sep = url.find(b"://")
    if sep <= 0 or url[:sep].lower() not in _SCHEMES:
        raise _Limit(400, "invalid request target")
    rest = url[sep + 3:]
    end = len(rest)
    for c in (b"/", b"?", b"#"):
        i = rest.find(c)
        if 0 <= i < end:
            end = i
    authority = rest[:end]
    at = authority.rfind(b"@")
    if at >= 0:
        authority = authority[at + 1:]
    if not _valid_authority(authority):
        raise _Limit(400, "invalid request target: bad host")
    target = rest[end:]
    if target[:1] != b"/":
        target = b"/" + target
    m.url = target
    m.host = authority.decode("latin-1")
    m.has_host = True


def _valid_authority(authority: bytes) -> bool:
    """``host[:port]`` (RFC 3986 §3.2.2: reg-name, IPv4 or a bracketed IPv6), the port digits."""
    if authority[:1] == b"[":
        end = authority.find(b"]")
        if end < 2 or not all(c in _IPV6 for c in authority[1:end]):
            return False
        rest = authority[end + 1:]
    else:
        colon = authority.rfind(b":")
        host = authority if colon < 0 else authority[:colon]
        rest = b"" if colon < 0 else authority[colon:]
        if not host or not all(c in _REG_NAME for c in host):
            return False
    return not rest or (rest[:1] == b":" and rest[1:].isdigit() and len(rest) <= 6) or rest == b":"


_IPV6 = frozenset(b"0123456789abcdefABCDEF:.")
_REG_NAME = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%")


def _normalize_host(host: str) -> str:
    """Skipper's -normalize-host: lower case, no port, no trailing dot."""
    h = host.lower()
    if h.startswith("["):
        end = h.find("]")
        if end > 0:
            h = h[:end + 1]
    else:
        colon = h.rfind(":")
        if colon >= 0 and h.count(":") == 1:
            h = h[:colon]
    return h[:-1] if h.endswith(".") else h
