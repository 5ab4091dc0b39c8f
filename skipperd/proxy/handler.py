"""The request path: route → request filters → backend → response filters → client.

``Proxy.serve(exchange, table)`` follows Skipper's ``proxy.do``:

* no route: ``-default-http-status`` (404);
* request filters run in order; one that serves a response (``ctx.serve``) ends the request
  phase, and only the filters run so far see the response, in reverse order;
* shunt: the response a filter served, else an empty 404; loopback: the possibly modified
  request is matched again, at most ``-max-loopbacks`` times (500 past that); network and LB
  backends: ``upstream.Upstream``;
* every response gets ``Server: Skipper`` unless it has a Server field, then the response
  filters run; an error (a backend failure, a timeout) is answered with the status text as
  plain text, and only the response phases of error-handling filters run on it (those with
  ``handle_error_response``, Skipper's ``errorHandlerFilter``), of the filters already run;
* ``respond.write_response`` writes every response, whatever made it.
"""

from __future__ import annotations

import logging
from time import perf_counter
from typing import Any, Callable, Sequence

from skipperd.eskip.route import BackendType
from skipperd.filters.fadein import KEY as FADE_IN_KEY
from skipperd.filters.loopback import LOOPBACK_PATH_KEY
from skipperd.http.context import FilterContext
from skipperd.http.response import Response
from skipperd.proxy import netio
from skipperd.proxy.config import ProxyConfig
from skipperd.proxy.errors import ConnectError, ProxyError, RequestBodyError
from skipperd.proxy.exchange import Exchange
from skipperd.proxy.lb import Selector, make_selector
from skipperd.proxy.pool import Pools
from skipperd.proxy.respond import SERVER, error_response, write_response
from skipperd.proxy.upstream import Upstream
from skipperd.proxy import target

log = logging.getLogger("skipperd.proxy")

_NETWORK = BackendType.NETWORK
_LB = BackendType.LB
_SHUNT = BackendType.SHUNT
_LOOPBACK = BackendType.LOOPBACK
_DYNAMIC = BackendType.DYNAMIC
_FORWARD = BackendType.FORWARD
_SERVER_ITEM = ("server", "Server", SERVER)


class _NotFound(ProxyError):
    """No route matched: answered quietly, as Skipper logs it at debug level only."""


class Proxy:
    __slots__ = ("cfg", "pools", "upstream", "stopping", "_selectors", "_not_found_status", "_endpoint_refs")

    def __init__(self, cfg: ProxyConfig, pools: Pools | None = None) -> None:
        self.cfg = cfg
        self.pools = pools if pools is not None else Pools(cfg.idle_conns_num, cfg.idle_timeout_backend,
                                                                  cfg.max_header_bytes, cfg.max_header_count)
        self.upstream = Upstream(cfg, self.pools)
        self.stopping = False  # graceful stop: responses say Connection: close
        # LB state per backend (BackendKey: equal for routes with the same endpoints), per worker.
        self._selectors: dict[Any, Selector] = {}
        self._not_found_status = cfg.default_status
        self._endpoint_refs: dict[Any, int] = {}  # endpoint key -> routes of the table naming it

    def table_changed(self, table: Any = None, added: Any = None, removed: Any = None) -> None:
        """A new route table is in place: close the pools of the endpoints it no longer has.

        At once, not at the next idle sweep: a backend taken out of the table (a pod scaled
        down) must not keep connections from every worker. Endpoints no table names (dynamic
        and forward backends) are left to the idle sweep. Each endpoint is counted by the
        routes that name it; ``added`` and ``removed``, the routes that entered and left the
        table since the table given last (``routing.incremental``), make this work in proportion
        to the change, which a swap does on the serving path. Without them the whole table is
        counted again.
        """
        if len(self._selectors) > 10000:
            self._selectors.clear()
        if table is None:
            return
        refs = self._endpoint_refs
        gone: set[Any] = set()
        if added is None or removed is None:
            now: dict[Any, int] = {}
            for route in table:
                for e in route.backend.endpoints:
                    now[e.key] = now.get(e.key, 0) + 1
            gone = {k for k in refs if k not in now}
            self._endpoint_refs = now
        else:
            for route in added:
                for e in route.backend.endpoints:
                    refs[e.key] = refs.get(e.key, 0) + 1
            for route in removed:
                for e in route.backend.endpoints:
                    n = refs.get(e.key, 0) - 1
                    if n > 0:
                        refs[e.key] = n
                    else:
                        refs.pop(e.key, None)
                        gone.add(e.key)
        if gone:
            self.upstream.forget(gone)

    def serve(self, ex: Exchange, table: Any) -> None:
        """Answer one exchange. ``ClientGone``/``UpstreamBroken`` mean: drop the client connection."""
        # One name per handler: compiled (mypyc), a name keeps the type of its first handler.
        try:
            resp = self._route(ex, table, 0)
        except _NotFound as nf:
            resp = error_response(nf.status)
        except ProxyError as pe:
            self._log_error(ex, pe.status, pe.reason)
            resp = error_response(pe.status)
            if pe.ctx is not None:
                resp = _on_error(pe.ctx, pe.ran, resp)
        except RequestBodyError as be:
            self._log_error(ex, be.status, be.reason)
            ex.keep_alive = False
            resp = error_response(be.status)
        if ex.keep_alive:
            body = ex.body
            if self.stopping or (body is not None and not body.complete and not body.reusable_after_response()):
                ex.keep_alive = False
        write_response(ex, resp, self.cfg.write_timeout)

    def _route(self, ex: Exchange, table: Any, loops: int) -> Response:
        req = ex.request
        if table is not None:
            t0 = perf_counter()
            m = table.match(req)
            ex.t_lookup = perf_counter() - t0
        else:
            m = None
        if m is None:
            # A new exception each time: re-raising one instance grows its traceback by this
            # request's frames on every raise (1.5 KB per 404, never freed).
            raise _NotFound(self._not_found_status, "route not found")
        route, params = m
        ex.route_id = route.id
        ctx = FilterContext(req, params, route.id, ex.body)
        ctx.route = route
        ex.state_bag = ctx.state_bag
        rfs = route.request_filters
        i = 0
        resp: Response | None = None
        try:
            for f in rfs:
                f(ctx)
                if ctx.served:
                    break
                i += 1
            if not ctx.served:
                resp = self._backend(ex, ctx, table, route, loops)
        except ProxyError as e:
            if e.ctx is None and route.error_filters and not isinstance(e, _NotFound):
                e.ctx = ctx
                e.ran = _instances_run(route, i)
            raise
        if ctx.served:
            resp = ctx.response
            response_filters = _served_response_filters(route, i)
        else:
            response_filters = route.response_filters
        assert resp is not None
        if not resp.has_server:
            if resp.stream is not None or "server" not in resp.headers:
                resp.headers.raw().append(_SERVER_ITEM)
            resp.has_server = True
        if response_filters:
            ctx.response = resp
            for f in response_filters:
                f(ctx)
            final = ctx.response
            if final is not resp and final is not None:
                if resp.stream is not None and final.stream is not resp.stream:
                    resp.stream.close()  # a filter replaced the proxied response
                resp = final
            bag = ctx.state_bag
            if bag and LOOPBACK_PATH_KEY in bag:
                # loopbackIfStatus: the request, with a new path, is routed again and that
                # answer replaces this one (Skipper's LoopbackWithResponse).
                if loops >= self.cfg.max_loopbacks:
                    raise ProxyError(500, f"max loopbacks reached after route {route.id}")
                if resp.stream is not None:
                    resp.stream.close()
                req.set_path(str(bag[LOOPBACK_PATH_KEY]))
                return self._route(ex, table, loops + 1)
        if ctx.write_timeout:
            ex.write_deadline = netio.now() + ctx.write_timeout  # writeTimeout: from now, as Skipper
        return resp

    def _backend(self, ex: Exchange, ctx: FilterContext, table: Any, route: Any, loops: int) -> Response:
        backend = route.backend
        t = backend.type
        if t is _NETWORK:
            up = self.upstream
            req = ctx.request
            ep = up.endpoints.get(backend.endpoints[0].key) or up.endpoint(backend.endpoints[0].key)
            host = ctx.outgoing_host or (req.host if self.cfg.preserve_host and req.host else ep[1])
            t0 = perf_counter()
            try:
                resp = up.forward(ex, ctx, ep[0], host)
            finally:
                ex.t_backend += perf_counter() - t0
            ex.backend_status = resp.status
            ex.backend_host = ep[1]
            return resp
        if t is _LB:
            t0 = perf_counter()
            try:
                resp = self._forward_lb(ex, ctx, backend)
            finally:
                ex.t_backend += perf_counter() - t0
            ex.backend_status = resp.status
            return resp
        if t is _SHUNT:
            return ctx.response or Response(404)
        if t is _LOOPBACK:
            if loops >= self.cfg.max_loopbacks:
                raise ProxyError(500, f"max loopbacks reached after route {route.id}")
            return self._route(ex, table, loops + 1)
        if t is _DYNAMIC:
            key, authority = target.dynamic(ctx.state_bag, ctx.request.host)
            return self.upstream.forward(ex, ctx, self.upstream.endpoint(key)[0],
                                         self._outgoing_host(ctx, authority))
        if t is _FORWARD:
            fw = self.cfg.forward
            if fw is None:
                raise ProxyError(500, f"route {route.id}: <forward> backend without -forward-backend-url")
            return self.upstream.forward(ex, ctx, self.upstream.endpoint(fw[0])[0],
                                         self._outgoing_host(ctx, fw[1]))
        raise ProxyError(500, f"route {route.id}: {t.value} backends are not supported")

    def _outgoing_host(self, ctx: FilterContext, endpoint_host: str) -> str:
        if ctx.outgoing_host:
            return ctx.outgoing_host
        if self.cfg.preserve_host and ctx.request.host:
            return ctx.request.host
        return endpoint_host

    def _forward_lb(self, ex: Exchange, ctx: FilterContext, backend: Any) -> Response:
        endpoints = backend.endpoints
        if not endpoints:
            raise ProxyError(502, "no endpoints")
        selector = self._selectors.get(backend.key)
        if selector is None:
            selector = self._selectors[backend.key] = make_selector(backend.algorithm, endpoints)
        i = selector.pick(endpoints, ctx)
        if ctx.state_bag:
            fade = ctx.state_bag.get(FADE_IN_KEY)
            if fade is not None:
                i = fade.adjust(endpoints, i)
        inflight = selector.inflight
        inflight[i] += 1
        try:
            pool, host = self.upstream.endpoint(endpoints[i].key)
            ex.backend_host = host
            return self.upstream.forward(ex, ctx, pool, self._outgoing_host(ctx, host))
        except ConnectError:
            # As Skipper: a dial error (TCP or TLS) on an LB backend is retried once, on the
            # endpoint the algorithm picks again (proxy/lb.py: never the one that failed).
            # Nothing of the request was sent or read yet, its body included.
            if len(endpoints) < 2:
                raise
        finally:
            inflight[i] -= 1
        failed = i
        i = selector.pick_other(endpoints, ctx, failed)
        if ctx.state_bag:
            fade = ctx.state_bag.get(FADE_IN_KEY)
            if fade is not None:
                j = fade.adjust(endpoints, i)
                i = i if j == failed else j
        inflight[i] += 1
        try:
            pool, host = self.upstream.endpoint(endpoints[i].key)
            ex.backend_host = host
            return self.upstream.forward(ex, ctx, pool, self._outgoing_host(ctx, host))
        finally:
            inflight[i] -= 1

    def shadow(self, ex: Exchange, table: Any) -> None:
        """Route a shadow copy (teeLoopback) like a request, and drop the answer."""
        try:
            resp = self._route(ex, table, 1)
        except (ProxyError, RequestBodyError):
            return
        stream = resp.stream
        if stream is not None:
            try:
                while stream.read():
                    pass
            finally:
                stream.close()

    def _log_error(self, ex: Exchange, status: int, reason: str) -> None:
        # Backend failures are errors (as in Skipper); a client's own mistakes are not.
        level = logging.ERROR if status >= 500 else logging.INFO
        if log.isEnabledFor(level):
            r = ex.request
            log.log(level, 'error while proxying, route %s, status %d: %s, remote host: %s, request: "%s %s", host: %s',
                    ex.route_id or "-", status, reason, r.remote_addr, r.method, r.raw_path, r.host)


def _instances_run(route: Any, i: int) -> int:
    """How many of the route's filter instances ran when request phase ``i`` was reached."""
    rfs = route.request_filters
    if i >= len(rfs):
        return len(route.filters)
    inst = getattr(rfs[i], "__self__", None)
    for n, f in enumerate(route.filters):
        if f is inst:
            return n + 1
    return len(route.filters)


def _on_error(ctx: FilterContext, ran: int, resp: Response) -> Response:
    """Run the error-handling filters among those that ran, in reverse order, on ``resp``."""
    route = ctx.route
    ctx.response = resp
    for f in reversed(route.filters[:ran]):
        if getattr(f, "handle_error_response", False):
            phase = getattr(f, "response", None)
            if phase is not None:
                phase(ctx)
    return ctx.response or resp


def _served_response_filters(route: Any, i: int) -> Sequence[Callable[[FilterContext], None]]:
    """The response phases of the filters up to the one that served, in reverse order.

    The runtime route lists request and response phases separately; its ``filters`` (the
    instances in route order) tell which response phases belong to filters that ran.
    """
    instances = getattr(route, "filters", None)
    rfs = route.request_filters
    inst = getattr(rfs[i], "__self__", None) if i < len(rfs) else None
    if instances is None or inst is None:
        return route.response_filters  # type: ignore[no-any-return]
    k = next((n for n, f in enumerate(instances) if f is inst), len(instances) - 1)
    out = []
    for f in reversed(instances[:k + 1]):
        phase = getattr(f, "response", None)
        if phase is not None:
            out.append(phase)
    return out
