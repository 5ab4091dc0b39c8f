"""The request path: routing a request, running its filters, forwarding it, streaming the answer.

The worker (``skipperd.worker``) parses a request and hands it to ``Proxy.serve`` as an
``Exchange``; the proxy writes the response to the client channel itself, so that the backend's
body streams through in bounded pieces.

Modules, in the order a request meets them:

``forwarded``  X-Forwarded-* headers, before routing
``handler``    route → request filters → backend → response filters (shunt, loopback, LB)
``lb``         endpoint selection for LB backends
``upstream``   one request to one endpoint, response streaming
``pool``       per-endpoint LIFO pools of kept-alive backend connections
``hop``        hop-by-hop header fields
``respond``    status lines, the Date cache, local and error responses
``netio``      non-blocking sockets on the gevent hub, deadline sweeping
``errors``     backend failures and their status codes
"""

from __future__ import annotations

from skipperd.proxy.config import ProxyConfig
from skipperd.proxy.exchange import BodySource, Exchange
from skipperd.proxy.handler import Proxy

__all__ = ["BodySource", "Exchange", "Proxy", "ProxyConfig"]
