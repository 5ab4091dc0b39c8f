"""What the proxy measures per request, with Skipper's keys, recorded once when it is answered.

The proxy only notes durations on the exchange (``t_lookup``, ``t_backend``, ``backend_status``,
``backend_host``); ``RequestMetrics.done`` turns them into observations after the response went
out. Default keys: ``routelookup``, ``routefailure``, ``all.backend``, ``all.backend.5xx``,
``all.response.<code>.<method>.skipper`` (``-combined-response-metrics``) and ``proxy.total``
(the time skipperd itself spent: the whole exchange less the backend's part). Per route only
when asked for: ``backend.<route>`` and ``errors.backend.<route>`` (``-route-backend-metrics``),
``response.<code>.<method>.skipper.<route>`` (``-route-response-metrics``),
``serveroute.<route>.<method>.<code>`` (``-serve-route-metrics``); per request host
``servehost.<host>.<method>.<code>`` (``-serve-host-metrics``); per backend host
``backendhost.<host>`` (``-backend-host-metrics``). ``-enable-connection-metrics`` adds the
counters ``lb-conn-new``, ``lb-conn-active``, ``lb-conn-idle`` and ``lb-conn-closed``.
"""

from __future__ import annotations

from typing import Any

from skipperd.config import Settings
from skipperd.metrics import keys
from skipperd.metrics.collector import Collector
from skipperd.metrics.keys import host_for_key, measured_method
from skipperd.shm.slots import W_CONNS, W_REQUESTS

ROUTELOOKUP = keys.name("routelookup")
ROUTEFAILURE = keys.name("routefailure")
BACKEND_ALL = keys.name("backend_all")
BACKEND_5XX = keys.name("backend5xx")
PROXY_TOTAL = keys.name("proxy_total")
CONN_NEW = keys.name("custom_counter", "lb-conn-new")
CONN_ACTIVE = keys.name("custom_counter", "lb-conn-active")
CONN_IDLE = keys.name("custom_counter", "lb-conn-idle")
CONN_CLOSED = keys.name("custom_counter", "lb-conn-closed")


class RequestMetrics:
    def __init__(self, collector: Collector, settings: Settings) -> None:
        s = settings
        self.c = collector
        self.words: Any = collector.words
        self.combined = s.combined_response_metrics
        self.route_backend = s.route_backend_metrics
        self.route_response = s.route_response_metrics
        self.backend_host = s.backend_host_metrics
        self.serve_host = s.serve_host_metrics
        self.serve_route = s.serve_route_metrics
        self.serve_method = s.serve_method_metric
        self.serve_code = s.serve_status_code_metric
        self.connections = s.enable_connection_metrics
        self._combined: dict[int, dict[str, str]] = {}

    # --- connections ---------------------------------------------------------------------------

    def connection_opened(self) -> None:
        if self.words is not None:
            self.words[W_CONNS] += 1
        if self.connections:
            self.c.count(CONN_NEW)

    def connection_closed(self) -> None:
        w = self.words
        if w is not None and w[W_CONNS] > 0:
            w[W_CONNS] -= 1
        if self.connections:
            self.c.count(CONN_CLOSED)

    # --- requests -------------------------------------------------------------------------------

    def done(self, ex: Any, total: float) -> None:
        """One answered exchange; ``total`` is the seconds from its first byte to its last."""
        c = self.c
        if self.words is not None:
            self.words[W_REQUESTS] += 1
        if ex.t_lookup >= 0.0:
            c.observe(ROUTELOOKUP, ex.t_lookup)
        route = ex.route_id
        if not route:
            c.count(ROUTEFAILURE)
        backend = ex.t_backend
        bstatus = ex.backend_status
        if bstatus:
            c.observe(BACKEND_ALL, backend)
            if bstatus >= 500:
                c.observe(BACKEND_5XX, backend)
            if self.route_backend and route:
                c.observe(keys.name("backend", route, "", ""), backend)
            if self.backend_host and ex.backend_host:
                c.observe(keys.name("backendhost", "", ex.backend_host, ""), backend)
        elif route and self.route_backend and ex.status in (502, 503, 504):
            c.count(keys.name("errors_backend", route))
        code = ex.status
        method = ex.request.method
        if self.combined:
            by_method = self._combined.get(code)
            if by_method is None:
                by_method = self._combined[code] = {}
            stored = by_method.get(method)
            if stored is None:
                stored = by_method[method] = keys.name("response", str(code), measured_method(method), "")
            c.observe(stored, total)
        if self.route_response and route:
            c.observe(keys.name("response", str(code), measured_method(method), route), total)
        c.observe(PROXY_TOTAL, total - backend if total > backend else 0.0)
        if self.serve_host or self.serve_route:
            m = measured_method(method) if self.serve_method else ""
            sc = str(code) if self.serve_code else ""
            if self.serve_route and route:
                c.observe(keys.name("serveroute", sc, m, route), total)
            if self.serve_host:
                c.observe(keys.name("servehost", sc, m, host_for_key(ex.request.host or "")), total)
        if self.connections:
            c.count(CONN_ACTIVE)
            if ex.keep_alive:
                c.count(CONN_IDLE)
