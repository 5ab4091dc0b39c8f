"""``inlineContent(text[, mime])``: serve ``text`` with status 200 (Skipper's inlineContent).

Without a mime type the content type is sniffed once, when the route is built, the way Go's
``http.DetectContentType`` does it (the WHATWG sniffing algorithm), so that Skipper routes keep
the content type they had.
"""

from __future__ import annotations

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.filters.sniff import detect_content_type
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.params import Param, STRING


class InlineContentFilter:
    __slots__ = ("body", "mime", "_items")

    def __init__(self, text: str, mime: str) -> None:
        self.body = text.encode("utf-8")
        self.mime = mime
        self._items = [("content-type", "Content-Type", mime),
                       ("content-length", "Content-Length", str(len(self.body)))]

    def request(self, ctx: FilterContext) -> None:
        ctx.serve(Response(200, Headers(list(self._items)), self.body))


class InlineContentSpec:
    name = names.INLINE_CONTENT
    summary = "serves the text with status 200 (Content-Type sniffed when not given)"
    params = (Param("content", STRING), Param("mime", STRING, "Content-Type", optional=True))

    def create(self, args: tuple[Arg, ...]) -> InlineContentFilter:
        if not 1 <= len(args) <= 2 or not all(isinstance(a, str) for a in args):
            raise InvalidArguments(self.name, "expects the content and an optional content type, as strings")
        text = str(args[0])
        mime = str(args[1]) if len(args) == 2 else detect_content_type(text.encode("utf-8"))
        return InlineContentFilter(text, mime)
