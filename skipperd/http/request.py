"""An incoming HTTP request as predicates and filters see it."""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from skipperd.http.headers import Headers


class Request:
    """One client request.

    ``path`` is the percent-decoded path (what Skipper's predicates match, ``r.URL.Path``);
    ``raw_path`` is the path as received and is what the proxy forwards unless a filter changed
    ``path``. ``host`` is the Host header (or the authority of an absolute-form target).
    ``remote_addr`` is the peer's IP address. Cookies and query parameters are parsed on first use.
    """

    __slots__ = (
        "method", "path", "raw_path", "query", "host", "headers", "remote_addr",
        "proto", "version", "_cookies", "_query_params", "path_changed", "segment_random",
    )

    def __init__(
        self,
        method: str,
        path: str,
        headers: Headers,
        raw_path: str | None = None,
        query: str = "",
        host: str = "",
        remote_addr: str = "",
        proto: str = "http",
        version: str = "1.1",
    ) -> None:
        self.method = method
        self.path = path
        self.raw_path = path if raw_path is None else raw_path
        self.query = query
        self.host = host
        self.headers = headers
        self.remote_addr = remote_addr
        self.proto = proto
        self.version = version
        self._cookies: dict[str, str] | None = None
        self._query_params: dict[str, list[str]] | None = None
        self.path_changed = False
        # TrafficSegment's one random number per request, drawn on first use (predicates/traffic.py).
        self.segment_random: float | None = None

    def cookie(self, name: str) -> str | None:
        if self._cookies is None:
            jar: dict[str, str] = {}
            for value in self.headers.get_all("cookie"):
                c: SimpleCookie = SimpleCookie()
                try:
                    c.load(value)
                except Exception:  # a malformed cookie header matches no Cookie predicate
                    continue
                for k, morsel in c.items():
                    jar.setdefault(k, morsel.value)
            self._cookies = jar
        return self._cookies.get(name)

    def query_params(self) -> dict[str, list[str]]:
        if self._query_params is None:
            self._query_params = parse_qs(self.query, keep_blank_values=True)
        return self._query_params

    def set_query(self, query: str) -> None:
        """Used by query-changing filters: the raw query (without ``?``) the proxy forwards."""
        self.query = query
        self._query_params = None

    def set_path(self, path: str) -> None:
        """Used by path-changing filters: the proxy then forwards ``path`` re-escaped."""
        self.path = path
        self.path_changed = True
