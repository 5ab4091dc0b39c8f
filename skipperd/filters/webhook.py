"""``webhook(url[, headers])``: Skipper's authentication webhook, through the outbound client.

Every request first sends ``GET url`` with the request's headers to the webhook (the worker's
outbound client: pooled connections, ``-webhook-timeout``, 2 s by default). An answer below 300
lets the request go on, with the response headers named in the comma-separated second argument
copied into it; 403 answers the client 403; any other status, or a failed or timed-out call,
answers 401 with ``WWW-Authenticate`` set to the webhook's host, as Skipper does.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.options import FilterOptions, OutboundClient
from skipperd.filters.spec import Spec
from skipperd.filters.values import outbound_url
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.params import STRING, Param

log = logging.getLogger("skipperd.filters")

_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def canonical(name: str) -> str:
    """Go's ``http.CanonicalHeaderKey``."""
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


class Webhook:
    __slots__ = ("url", "host", "copy", "client", "timeout")

    def __init__(self, url: str, copy: tuple[str, ...], client: OutboundClient, timeout: float) -> None:
        self.url = url
        self.host = urlsplit(url).hostname or ""
        self.copy = copy
        self.client = client
        self.timeout = timeout

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        try:
            resp = self.client.request("GET", self.url, list(req.headers.items()), timeout=self.timeout)
        except Exception as e:
            log.error("Failed to make authentication webhook request: %s.", e)
            resp = None
        if resp is not None and resp.status == 403:
            ctx.serve(Response(403, Headers(), b""))
            return
        if resp is None or resp.status >= 300:
            h = Headers()
            if self.host:
                h.add("WWW-Authenticate", self.host)
            ctx.serve(Response(401, h, b""))
            return
        for name in self.copy:
            values = resp.headers.get_all(name)
            if values:
                req.headers.remove(name)
                for v in values:
                    req.headers.add(name, v)


class WebhookSpec(Spec):
    name = names.WEBHOOK
    summary = "asks a webhook first: 2xx goes on, 403 answers 403, anything else 401"
    params = (Param("url", STRING, "the webhook, called with GET and the request's headers"),
              Param("headers", STRING, "comma-separated response headers to copy into the request", optional=True))

    def __init__(self, options: FilterOptions | None = None) -> None:
        self.options = options if options is not None else FilterOptions()

    def make(self, args: tuple[Arg, ...]) -> Any:
        url = str(args[0])
        outbound_url(self.name, url, "http(s)://host/...")
        copy: list[str] = []
        if len(args) == 2:
            for h in str(args[1]).split(","):
                if not h or any(c not in _TOKEN for c in h):
                    raise InvalidArguments(self.name, f"header {h!r} is invalid")
                copy.append(canonical(h))
        return Webhook(url, tuple(copy), self.options.client, self.options.settings.webhook_timeout)
