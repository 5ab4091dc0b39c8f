"""Per-endpoint pools of kept-alive backend connections.

One ``Pool`` per ``(scheme, host, port)`` and worker, a LIFO stack: the connection used last is
reused first, so that idle ones age at the bottom and are the ones the backend closes. At
checkout a connection is dropped when it idled longer than ``-idle-timeout-backend`` or when
input arrived while it idled (the backend closed it: ``Channel.input_pending``, noticed by the
channel's read watcher at no per-request cost). A connection that died unnoticed shows itself on
use; the caller retries body-less requests once on a new connection (``upstream.py``).

``UpstreamConn`` is the httptools protocol of one backend connection: its response parser is
created once and reused for every response on the connection.
"""

from __future__ import annotations

import ssl
from typing import NamedTuple

import httptools

from skipperd.http.headers import Headers
from skipperd.proxy import netio
from skipperd.http.fields import NAMES as _NAMES, header_name


class PoolKey(NamedTuple):
    scheme: str
    host: str
    port: int


class BackendLimit(Exception):
    """The backend's response head is over a limit (raised from a parser callback)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Excess(Exception):
    """The backend sent bytes past the end of its response (raised from a parser callback)."""


class UpstreamConn:
    """A backend connection and the state of the response being read from it.

    The response head is bounded as a client's request head is (``-max-header-bytes``,
    ``-max-header-count``). Bytes after the end of a response (an origin that wrote more than
    its framing) are never parsed as part of it: the callbacks stop the parser (``Excess``) and
    the connection is not reused (``upstream.py``). Trailer fields are counted, not kept.
    """

    __slots__ = ("ch", "pool", "key", "parser", "items", "status", "head_done", "done", "body",
                 "keep_alive", "chunked", "length", "has_date", "has_server", "idle_since",
                 "reused", "conn_tokens", "head_bytes", "max_head", "max_fields", "upgrading")

    def __init__(self, ch: netio.Channel, pool: "Pool") -> None:
        self.ch = ch
        self.pool = pool
        self.key = pool.key
        self.parser = httptools.HttpResponseParser(self)
        self.idle_since = 0.0
        self.reused = False
        self.max_head = pool.max_head
        self.max_fields = pool.max_fields
        self.upgrading = False  # sent an upgrade request: a 101 is its answer, not an interim one
        self.reset()

    def reset(self) -> None:
        self.head_bytes = 0
        self.items: list[tuple[str, str, str]] = []
        self.status = 0
        self.head_done = False
        self.done = False
        self.body: list[bytes] = []
        self.keep_alive = False
        self.chunked = False
        self.length = -1
        self.has_date = False
        self.has_server = False
        self.conn_tokens: list[str] | None = None

    def new_parser(self) -> None:
        """After a response without the body its head announced (HEAD): llhttp would wait for it."""
        self.parser = httptools.HttpResponseParser(self)

    # --- httptools callbacks (hot) --------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.done:
            raise Excess()

    def on_header(self, name: bytes, value: bytes) -> None:
        n = self.head_bytes = self.head_bytes + len(name) + len(value) + 4
        if n > self.max_head:
            raise BackendLimit("backend response head too large")
        if self.head_done:
            return  # a trailer field: counted, not kept
        items = self.items
        if len(items) >= self.max_fields:
            raise BackendLimit("too many header fields in the backend response")
        t = _NAMES.get(name) or header_name(name)
        lower = t[0]
        v = value.decode("latin-1")
        items.append((lower, t[1], v))
        if lower in _SPECIAL:
            if lower == "content-length":
                try:
                    self.length = int(v)
                except ValueError:
                    pass
            elif lower == "date":
                self.has_date = True
            elif lower == "server":
                self.has_server = True
            elif lower == "transfer-encoding":
                self.chunked = "chunked" in v.lower()
            elif lower == "connection" and v.lower() not in _PLAIN_CONNECTION:
                if self.conn_tokens is None:
                    self.conn_tokens = []
                self.conn_tokens.append(v)

    def on_headers_complete(self) -> None:
        p = self.parser
        self.status = p.get_status_code()
        self.keep_alive = p.should_keep_alive()
        self.head_done = True

    def on_body(self, data: bytes) -> None:
        self.body.append(data)

    def on_message_complete(self) -> None:
        if self.status < 200:
            if self.status == 101 and self.upgrading:
                self.done = True  # what follows is the other protocol (proxy/tunnel.py)
                return
            # An interim response (100 Continue ...): the final one follows on the same parser.
            self.reset()
            return
        self.done = True
        # llhttp knows after the whole message whether the connection stays usable.
        self.keep_alive = self.keep_alive and self.parser.should_keep_alive()

    def headers(self) -> Headers:
        return Headers(self.items)

    def close(self) -> None:
        self.ch.close()


_SPECIAL = frozenset({"content-length", "transfer-encoding", "date", "server", "connection"})
#: Connection values that name no other field: no per-response hop-by-hop list needed.
_PLAIN_CONNECTION = frozenset({"keep-alive", "close"})


class Pool:
    __slots__ = ("key", "idle", "max_idle", "idle_timeout", "max_head", "max_fields", "closed", "tls_session")

    def __init__(self, key: PoolKey, max_idle: int, idle_timeout: float,
                 max_head: int = 1 << 20, max_fields: int = 100) -> None:
        self.key = key
        self.idle: list[UpstreamConn] = []
        self.max_idle = max_idle
        self.idle_timeout = idle_timeout
        self.max_head = max_head      # a response head's bytes and fields, as a request's
        self.max_fields = max_fields
        self.closed = False           # its endpoint left the table: connections in use close on release
        self.tls_session: ssl.SSLSession | None = None  # https: resumed by new connections

    def get(self) -> UpstreamConn | None:
        idle = self.idle
        if not idle:
            return None
        limit = netio.now() - self.idle_timeout
        while idle:
            conn = idle.pop()
            if conn.ch.input_pending or conn.idle_since < limit or conn.ch.closed:
                conn.close()
                if conn.idle_since < limit:
                    # LIFO: everything below is older still.
                    for c in idle:
                        c.close()
                    idle.clear()
                continue
            conn.reused = True
            return conn
        return None

    def put(self, conn: UpstreamConn) -> None:
        if len(self.idle) >= self.max_idle or conn.ch.closed or self.closed:
            conn.close()
            return
        conn.idle_since = netio.now()
        conn.ch.watch()
        self.idle.append(conn)

    def close_idle(self, older_than: float | None = None) -> int:
        """Close idle connections (all, or those idle since before ``older_than``)."""
        keep: list[UpstreamConn] = []
        closed = 0
        for c in self.idle:
            if older_than is None or c.idle_since < older_than or c.ch.input_pending:
                c.close()
                closed += 1
            else:
                keep.append(c)
        self.idle = keep
        return closed


class Pools:
    """All pools of a worker, by endpoint."""

    __slots__ = ("_pools", "max_idle", "idle_timeout", "max_head", "max_fields")

    def __init__(self, max_idle: int, idle_timeout: float, max_head: int = 1 << 20, max_fields: int = 100) -> None:
        self._pools: dict[PoolKey, Pool] = {}
        self.max_idle = max_idle
        self.idle_timeout = idle_timeout
        self.max_head = max_head
        self.max_fields = max_fields

    def pool(self, key: PoolKey) -> Pool:
        p = self._pools.get(key)
        if p is None:
            p = self._pools[key] = Pool(key, self.max_idle, self.idle_timeout, self.max_head, self.max_fields)
        return p

    def close_expired(self) -> int:
        """Run every ``-close-idle-conns-period``: drop connections idle past the timeout."""
        # Empty pools stay: the proxy's endpoint cache holds them (a pool dropped here would live
        # on there, unswept). Pools go with their endpoint (close_pool) or all at once (close_all).
        limit = netio.now() - self.idle_timeout
        n = 0
        for p in self._pools.values():
            n += p.close_idle(limit)
        return n

    def close_pool(self, key: PoolKey) -> int:
        """Close an endpoint's pool now (its endpoint left the table); its idle connections closed."""
        p = self._pools.pop(key, None)
        if p is None:
            return 0
        p.closed = True
        return p.close_idle()

    def close_all(self) -> None:
        for p in self._pools.values():
            p.close_idle()
        self._pools.clear()

    def idle_count(self) -> int:
        return sum(len(p.idle) for p in self._pools.values())
