"""The serving half of a worker, independent of gunicorn: accept loops, connections, housekeeping.

``Server`` holds what every connection of the worker shares: the proxy (with its backend pools),
the route table, the limits computed from the settings once, and the set of open client
connections. The gunicorn worker class (``skipperd.worker.worker``) creates one per process and
drives its lifecycle; tests and tools can drive one directly.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Iterable

import _socket
import gevent

from skipperd.config import Settings
from skipperd.errors import SkipperdError
from skipperd.filters.options import WORKER, FilterOptions, HostState, NullMetrics
from skipperd.proxy import netio
from skipperd.proxy.config import ProxyConfig
from skipperd.proxy.handler import Proxy
from skipperd.shm.slots import W_GENERATION
from skipperd.metrics.collector import Collector
from skipperd.metrics.request import RequestMetrics
from skipperd.worker.accesslog import FLUSH_INTERVAL, AccessLog
from skipperd.worker.conn import ClientConnection
from skipperd.worker.routes import TableHolder

log = logging.getLogger("skipperd.worker")


class Server:
    def __init__(self, settings: Settings, reader: Any, *, many_workers: bool = False,
                 collector: Collector | None = None, access: AccessLog | None = None,
                 host_state: HostState | None = None) -> None:
        s = settings
        self.settings = s
        # Metrics and access log: None when off, so the request path pays one check for each.
        self.collector = collector
        self.request_metrics: RequestMetrics | None = (
            RequestMetrics(collector, s) if collector is not None else None)
        self.access: AccessLog | None = access
        self.proxy = Proxy(ProxyConfig.from_settings(s))
        from skipperd.proxy.client import Client

        from skipperd.filters.fadein import DetectionTable, EndpointRegistry

        fade_shared = None
        if host_state is not None:
            try:
                fade_shared = host_state.segment("fadein", DetectionTable.SIZE)
            except SkipperdError as e:
                log.warning("fadeIn detection times are this worker's own: %s", e)
        self.filter_options = FilterOptions(role=WORKER, settings=s, client=Client(self.proxy.upstream),
                                            background=gevent.spawn, host_state=host_state,
                                            endpoints=EndpointRegistry(shared=fade_shared),
                                            loopback=self._loopback,
                                            metrics=collector or NullMetrics())
        self.tables = TableHolder(reader, on_swap=self.proxy.table_changed,
                                  ignore_trailing_slash=s.ignore_trailing_slash,
                                  filter_options=self.filter_options,
                                  reverse_source_predicate=s.reverse_source_predicate)
        # Limits and timeouts as plain attributes: read per request, computed once.
        self.max_header_bytes = s.max_header_bytes
        self.max_header_count = s.max_header_count
        self.max_content_length = s.max_content_length
        self.idle_timeout = s.idle_timeout_server
        self.read_header_timeout = s.read_header_timeout_server
        self.read_timeout = s.read_timeout_server
        self.write_timeout = s.write_timeout_server
        self.keepalive_requests = s.keepalive_requests_server
        self.normalize_host = s.normalize_host
        self.max_connections = s.worker_connections
        # Several workers share one listening socket: take one connection per wake-up so that
        # they spread; a single worker takes what is queued.
        self.accept_burst = 1 if many_workers else 64
        self.connections: set[ClientConnection] = set()
        self.stopping = False
        self._listeners: list[netio.Listener] = []
        self._acceptors: list[Any] = []
        self._greenlets: list[Any] = []

    def _loopback(self, request: Any, body: bytes) -> None:
        """teeLoopback's copies: routed by this worker's current table, the answer dropped."""
        from skipperd.http.body import BytesBody
        from skipperd.proxy.exchange import Exchange

        table = self.tables.table
        if table is None:
            return
        a, b = _socket.socketpair()  # the copy's "client": nothing is ever written to it
        ch = netio.Channel(a)
        try:
            ex = Exchange(request, ch, BytesBody(body) if body else None, False)  # type: ignore[arg-type]
            self.proxy.shadow(ex, table)
        finally:
            ch.close()
            b.close()

    # --- start -----------------------------------------------------------------------------------

    def start(self, socks: Iterable[_socket.socket]) -> None:
        self.note_generation()
        netio.bind_hub()
        netio.start_watchdog()
        for sock in socks:
            lst = netio.Listener(sock)
            self._listeners.append(lst)
            self._acceptors.append(gevent.spawn(self._accept_loop, lst))
        self._greenlets.append(gevent.spawn(self._housekeeping))
        if self.access is not None:
            self._greenlets.append(gevent.spawn(self._flush_access_log))
        statsd = self.collector.statsd if self.collector is not None else None
        if statsd is not None:
            self._greenlets.append(gevent.spawn(statsd.run, self.settings.statsd_flush_interval, gevent.sleep,
                                                lambda: not self.stopping))

    def _flush_access_log(self) -> None:
        access = self.access
        assert access is not None
        while True:
            gevent.sleep(FLUSH_INTERVAL)
            try:
                access.flush()
            except Exception:
                log.exception("writing the access log failed")

    def wait_first_table(self, alive: Any, heartbeat: Any) -> bool:
        """Poll the generation until a table is loaded; False when ``alive()`` turned false first."""
        while alive():
            if self.tables.current() is not None:
                return True
            heartbeat()
            gevent.sleep(0.05)
        return False

    def _accept_loop(self, lst: netio.Listener) -> None:
        conns = self.connections
        while not self.stopping:
            if len(conns) >= self.max_connections:
                gevent.sleep(0.01)
                continue
            try:
                got = lst.accept(1.0)
            except netio.ChannelClosed:
                return
            except OSError as e:
                # EMFILE and friends: back off instead of spinning.
                log.warning("accept failed: %s", e)
                gevent.sleep(0.1)
                continue
            n = self.accept_burst
            while got is not None:
                sock, addr = got
                # Tracked from the accept on: a graceful stop waits for it like for the others.
                conn = ClientConnection(self, sock, addr)
                conns.add(conn)
                gevent.spawn(self._serve_connection, conn)
                n -= 1
                if n <= 0 or self.stopping or len(conns) >= self.max_connections:
                    break
                try:
                    got = lst.accept_nowait()
                except OSError:
                    break

    def _serve_connection(self, conn: ClientConnection) -> None:
        try:
            conn.ch.sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        except OSError:
            pass
        rm = self.request_metrics
        if rm is not None:
            rm.connection_opened()
        try:
            conn.serve()
        except Exception:
            log.exception("connection from %s failed", conn.remote)
        finally:
            self.connections.discard(conn)
            if rm is not None:
                rm.connection_closed()

    def _housekeeping(self) -> None:
        period = max(0.1, self.settings.close_idle_conns_period)
        next_pool_sweep = time.monotonic() + period
        while not self.stopping:
            gevent.sleep(0.5)
            # Load a new table before a request needs it.
            try:
                self.tables.current()
            except Exception:
                log.exception("route table check failed")
            self.note_generation()
            if time.monotonic() >= next_pool_sweep:
                next_pool_sweep = time.monotonic() + period
                self.proxy.pools.close_expired()

    def note_generation(self) -> None:
        """The generation this worker serves, for the status page."""
        if self.collector is not None and self.collector.slot is not None:
            self.collector.slot.words[W_GENERATION] = self.tables.generation

    # --- stop ------------------------------------------------------------------------------------

    def begin_stop(self) -> None:
        """Stop accepting; in-flight requests finish with ``Connection: close``; idle ones close."""
        self.stopping = True
        self.proxy.stopping = True
        for g in self._acceptors:
            g.kill(block=True, timeout=1.0)
        self._acceptors.clear()
        for lst in self._listeners:
            lst.close()
        self._listeners.clear()
        self.close_idle()

    def close_idle(self) -> None:
        for conn in list(self.connections):
            if conn.idle:
                conn.ch.deadline = 0.0  # the next sweep wakes it with a timeout: it closes

    def finish(self, timeout: float, heartbeat: Any) -> None:
        """Wait up to ``timeout`` for the connections to finish, then drop the rest."""
        deadline = time.monotonic() + timeout
        while self.connections and time.monotonic() < deadline:
            heartbeat()
            self.close_idle()
            gevent.sleep(0.05)
        if self.connections:
            log.warning("graceful timeout: closing %d connection(s) with requests in flight", len(self.connections))
            for conn in list(self.connections):
                conn.ch.abort()
        for g in self._greenlets:
            g.kill(block=False)
        self.proxy.pools.close_all()
        netio.stop_watchdog()
        self.close_outputs()

    def close_outputs(self) -> None:
        """Write what the access log and StatsD still hold; at every stop, also an abrupt one."""
        if self.access is not None:
            try:
                self.access.close()
            except Exception:
                log.exception("writing the access log failed")
        if self.collector is not None:
            try:
                self.collector.close()
            except Exception:
                log.exception("flushing the metrics failed")
