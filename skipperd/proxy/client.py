"""The outbound HTTP client filters call (webhook, token services): the proxy's own connections.

A worker's ``Client`` shares the proxy's per-endpoint pools (``proxy.pool``), its connect and
TLS code (``Upstream.connect``: the system trust store, SNI, ``-insecure``) and its httptools
response parser, all cooperative under gevent through ``netio``: a filter's call to a service it
called before costs a pool checkout, not a new connection. Every call has one deadline for the
whole exchange (connect, write, response head and body); the response body is read whole, up to
``max_body`` bytes (these are small control-plane answers), and the connection goes back to its
pool when the answer allows it. A pooled connection the service closed while it idled is
retried once on a new one, as the proxy does.

urllib3 was not taken: it checks every pooled connection with a ``poll()`` before reuse, parses
with Python's ``http.client`` (about 18 µs a response), and would be a second pool of
connections to the same services beside the proxy's.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from skipperd.errors import SkipperdError
from skipperd.http.headers import Headers
from skipperd.proxy import netio
from skipperd.proxy.errors import ProxyError
from skipperd.proxy.pool import Pool, PoolKey, UpstreamConn
from skipperd.proxy.upstream import RECV_SIZE, Upstream, host_port

DEFAULT_TIMEOUT = 5.0
MAX_BODY = 4 * 1024 * 1024


class ClientError(SkipperdError):
    """An outbound call failed: the service could not be reached, timed out or answered badly."""

    def __init__(self, url: str, reason: str, timeout: bool = False) -> None:
        self.url = url
        self.reason = reason
        self.timeout = timeout
        super().__init__(f"{url}: {reason}")


@dataclass(frozen=True, slots=True)
class ClientResponse:
    status: int
    headers: Headers
    body: bytes


class _Retry(Exception):
    pass


class Client:
    """``request(method, url, headers, body, timeout)`` -> ``ClientResponse``; raises ``ClientError``."""

    __slots__ = ("upstream", "timeout", "max_body")

    def __init__(self, upstream: Upstream, timeout: float = DEFAULT_TIMEOUT, max_body: int = MAX_BODY) -> None:
        self.upstream = upstream
        self.timeout = timeout
        self.max_body = max_body

    def request(self, method: str, url: str, headers: list[tuple[str, str]] | None = None,
                body: bytes = b"", timeout: float | None = None) -> ClientResponse:
        try:
            u = urlsplit(url)
            scheme = u.scheme.lower()
            host = u.hostname or ""
            port = u.port or (443 if scheme == "https" else 80)
        except ValueError as e:
            raise ClientError(url, f"invalid URL: {e}") from None
        if scheme not in ("http", "https") or not host:
            raise ClientError(url, "the URL must be http(s)://host[:port]/...")
        target = (u.path or "/") + (f"?{u.query}" if u.query else "")
        parts = [f"{method} {target} HTTP/1.1\r\nHost: {host_port(scheme, host, port)}\r\n"]
        for name, value in headers or ():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name or "\x00" in value:
                raise ClientError(url, f"header {name!r} carries CR, LF or NUL")
            if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
                continue
            parts.append(f"{name}: {value}\r\n")
        if body or method in ("POST", "PUT", "PATCH"):
            parts.append(f"Content-Length: {len(body)}\r\n")
        parts.append("\r\n")
        data = "".join(parts).encode("latin-1") + body
        deadline = netio.refresh_now() + (timeout if timeout is not None else self.timeout)
        pool = self.upstream.pools.pool(PoolKey(scheme, host, port))
        conn = pool.get()
        if conn is not None:
            try:
                return self._exchange(url, conn, data, deadline, method == "HEAD", retry=True)
            except _Retry:
                pass
        conn = self._connect(url, pool, deadline)
        try:
            return self._exchange(url, conn, data, deadline, method == "HEAD", retry=False)
        except _Retry:  # not raised without retry; for the type checker
            raise ClientError(url, "the connection failed") from None

    def _connect(self, url: str, pool: Pool, deadline: float) -> UpstreamConn:
        up = self.upstream
        try:
            return up.connect(pool, min(up.cfg.connect_timeout, max(0.001, deadline - netio.now())))
        except ProxyError as e:
            raise ClientError(url, e.reason, e.status == 504) from None

    def _exchange(self, url: str, conn: UpstreamConn, data: bytes, deadline: float, head: bool,
                  retry: bool) -> ClientResponse:
        conn.reset()
        ch = conn.ch
        got = False
        try:
            try:
                ch.send_all(data, _left(url, deadline), "write to service")
            except OSError:
                if retry:
                    raise _Retry() from None
                raise
            while not conn.head_done or conn.status < 200 or (not conn.done and not head):
                raw = ch.recv(RECV_SIZE, _left(url, deadline), "service response")
                if not raw:
                    if retry and not got:
                        raise _Retry()
                    if conn.head_done and not conn.chunked and conn.length < 0:
                        conn.done = True
                        conn.keep_alive = False
                        break
                    raise ClientError(url, "the service closed the connection before its answer was complete")
                got = True
                conn.parser.feed_data(raw)
                if sum(len(p) for p in conn.body) > self.max_body:
                    raise ClientError(url, f"the answer is larger than {self.max_body} bytes")
        except _Retry:
            conn.close()
            raise
        except netio.IOTimeout:
            conn.close()
            raise ClientError(url, "timed out", timeout=True) from None
        except (OSError, httptools.HttpParserError) as e:
            conn.close()
            if retry and not got:
                raise _Retry() from None
            raise ClientError(url, f"{e}") from None
        except BaseException:
            conn.close()
            raise
        resp = ClientResponse(conn.status, Headers(list(conn.items)), b"".join(conn.body))
        conn.body = []
        if head:
            conn.new_parser()
            conn.done = True
        if conn.done and conn.keep_alive:
            conn.pool.put(conn)
        else:
            conn.close()
        return resp


def _left(url: str, deadline: float) -> float:
    left = deadline - netio.refresh_now()
    if left <= 0:
        raise ClientError(url, "timed out", timeout=True)
    return left


def make_client(upstream: Upstream, timeout: float = DEFAULT_TIMEOUT) -> Client:
    return Client(upstream, timeout)


__all__ = ["Client", "ClientError", "ClientResponse", "make_client"]
