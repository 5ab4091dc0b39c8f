"""X-Forwarded-* headers set on the incoming request before routing (Skipper's -forwarded-headers).

``X-Forwarded-For`` appends the client IP to what the client sent; ``-Host``, ``-Method`` and
``-Uri`` copy the request's host, method and request target; ``-Port`` is a fixed port or the
listener's (``auto``); ``-Proto`` is fixed or ``auto`` (``http``: TLS is not terminated yet).
Clients inside ``-forwarded-headers-exclude-cidrs`` get none; that is decided once per client
connection (``applies_to``), not per request.
"""

from __future__ import annotations

import ipaddress
from typing import Sequence

from skipperd.http.request import Request


class Forwarded:
    __slots__ = ("xff", "host", "method", "uri", "port", "proto", "_exclude")

    def __init__(self, items: Sequence[str], exclude_cidrs: Sequence[str], listen_port: int) -> None:
        self.xff = self.host = self.method = self.uri = False
        self.port = ""
        self.proto = ""
        for item in items:
            name, _, value = item.partition("=")
            if name == "X-Forwarded-For":
                self.xff = True
            elif name == "X-Forwarded-Host":
                self.host = True
            elif name == "X-Forwarded-Method":
                self.method = True
            elif name == "X-Forwarded-Uri":
                self.uri = True
            elif name == "X-Forwarded-Port":
                self.port = str(listen_port) if value in ("", "auto") else value
            elif name == "X-Forwarded-Proto":
                self.proto = "http" if value in ("", "auto") else value
        self._exclude = [ipaddress.ip_network(c, strict=False) for c in exclude_cidrs]

    @classmethod
    def create(cls, items: Sequence[str], exclude_cidrs: Sequence[str], listen_port: int) -> "Forwarded | None":
        """``None`` when no forwarded header is configured: the request path then skips the step."""
        return cls(items, exclude_cidrs, listen_port) if items else None

    def applies_to(self, remote_ip: str) -> bool:
        if not self._exclude:
            return True
        try:
            ip = ipaddress.ip_address(remote_ip)
        except ValueError:
            return True
        return not any(ip in net for net in self._exclude)

    def apply(self, req: Request) -> None:
        h = req.headers
        if self.xff and req.remote_addr:
            prior = h.get("X-Forwarded-For")
            h.set("X-Forwarded-For", f"{prior}, {req.remote_addr}" if prior else req.remote_addr)
        if self.host:
            h.set("X-Forwarded-Host", req.host)
        if self.method:
            h.set("X-Forwarded-Method", req.method)
        if self.uri:
            h.set("X-Forwarded-Uri", req.raw_path + ("?" + req.query if req.query else ""))
        if self.port:
            h.set("X-Forwarded-Port", self.port)
        if self.proto:
            h.set("X-Forwarded-Proto", self.proto)
