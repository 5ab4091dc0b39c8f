"""``teeResponse(url)`` and ``Tee(url, ...)``, the deprecated name of ``tee``.

``teeResponse`` sends a copy of the response body, as it streams to the client, to ``url`` as
the body of a POST (to the URL's scheme and host, as Skipper does), from a background greenlet
through the worker's outbound client; that answer is dropped, and whatever happens to the copy
never delays or alters the response. A body over ``tee.MAX_COPY`` bytes is not copied; a
response without a body sends nothing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.options import FilterOptions
from skipperd.filters.spec import Spec
from skipperd.filters.tee import MAX_COPY, SHADOW_TIMEOUT, TeeSpec, _Copy
from skipperd.http.context import FilterContext
from skipperd.params import STRING, Param

log = logging.getLogger("skipperd.filters")


class TeeResponse:
    __slots__ = ("url", "options")

    def __init__(self, url: str, options: FilterOptions) -> None:
        self.url = url
        self.options = options

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        if resp is None:
            return
        if resp.stream is None and not resp.body:
            return
        if resp.stream is not None and resp.stream.length == 0:
            return
        url, options = self.url, self.options

        def start(body: bytes | None) -> None:
            if not body:
                return

            def post() -> None:
                try:
                    options.client.request("POST", url, [("Content-Type", "application/octet-stream")], body,
                                           SHADOW_TIMEOUT)
                except Exception as e:  # the copy never fails the response
                    log.warning("teeResponse to %s failed: %s", url, e)

            if options.background is None:
                post()
            else:
                options.background(post)

        ctx.wrap_response_body(_Copy(start), same_length=True)


class TeeResponseSpec(Spec):
    name = names.TEE_RESPONSE
    summary = "POSTs a copy of the response body to another backend as it streams; its answer is dropped"
    params = (Param("url", STRING, "http(s)://host[:port]; the path is not used"),)

    def __init__(self, options: FilterOptions | None = None) -> None:
        self.options = options if options is not None else FilterOptions()

    def make(self, args: tuple[Arg, ...]) -> Any:
        text = str(args[0])
        try:
            u = urlsplit(text)
        except ValueError as e:
            raise InvalidArguments(self.name, f"invalid URL {text!r}: {e}") from None
        if u.scheme not in ("http", "https") or not u.netloc:
            raise InvalidArguments(self.name, f"invalid URL {text!r}: expected http(s)://host[:port]")
        return TeeResponse(f"{u.scheme}://{u.netloc}/", self.options)


class TeeDeprecatedSpec(TeeSpec):
    """``Tee(...)``: Skipper still registers tee under this name."""

    name = names.TEE_DEPRECATED
    summary = "deprecated: tee"
