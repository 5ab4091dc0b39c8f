"""``setRequestHeader(name, value)`` and ``setResponseHeader(name, value)``.

The value may be a template (``skipperd.filters.template``); a value without placeholders is set
as it is, with no templating cost per request. Setting the request's ``Host`` header also sets
the outgoing host, as Skipper's filter does.
"""

from __future__ import annotations

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.filters.template import Template, has_placeholders
from skipperd.http.context import FilterContext
from skipperd.http.fields import unsafe_value
from skipperd.params import Param, STRING


def _name_value(spec_name: str, args: tuple[Arg, ...]) -> tuple[str, str]:
    if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
        raise InvalidArguments(spec_name, "expects a header name and a value, as strings")
    name, value = args[0], args[1]
    if not name or any(c in name for c in " \t\r\n\x00:"):
        raise InvalidArguments(spec_name, f"invalid header name {name!r}")
    if unsafe_value(value):
        raise InvalidArguments(spec_name, "a header value cannot contain CR, LF or NUL")
    return name, value


class SetRequestHeader:
    __slots__ = ("name", "lower", "value", "is_host")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.lower = name.lower()
        self.value = value
        self.is_host = self.lower == "host"

    def request(self, ctx: FilterContext) -> None:
        ctx.request.headers.set_field(self.lower, self.name, self.value)
        if self.is_host:
            ctx.outgoing_host = self.value


class SetRequestHeaderTemplate(SetRequestHeader):
    __slots__ = ("template",)

    def __init__(self, name: str, value: str) -> None:
        super().__init__(name, value)
        self.template = Template(value)

    def request(self, ctx: FilterContext) -> None:
        value, ok = self.template.apply(ctx)
        if ok:
            ctx.request.headers.set_field(self.lower, self.name, value)
            if self.is_host:
                ctx.outgoing_host = value


class SetResponseHeader:
    __slots__ = ("name", "lower", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.lower = name.lower()
        self.value = value

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is not None:
            ctx.response.headers.set_field(self.lower, self.name, self.value)


class SetResponseHeaderTemplate(SetResponseHeader):
    __slots__ = ("template",)

    def __init__(self, name: str, value: str) -> None:
        super().__init__(name, value)
        self.template = Template(value)

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is None:
            return
        value, ok = self.template.apply(ctx)
        if ok:
            ctx.response.headers.set_field(self.lower, self.name, value)


class SetRequestHeaderSpec:
    name = names.SET_REQUEST_HEADER
    summary = "sets a request header; ${...} placeholders resolved per request (Host: also the outgoing host)"
    params = (Param("name", STRING, "header name"), Param("value", STRING, "header value; may contain ${...} placeholders"))

    def create(self, args: tuple[Arg, ...]) -> SetRequestHeader:
        name, value = _name_value(self.name, args)
        if has_placeholders(value):
            return SetRequestHeaderTemplate(name, value)
        return SetRequestHeader(name, value)


class SetResponseHeaderSpec:
    name = names.SET_RESPONSE_HEADER
    summary = "sets a response header; ${...} placeholders resolved per request"
    params = (Param("name", STRING, "header name"), Param("value", STRING, "header value; may contain ${...} placeholders"))

    def create(self, args: tuple[Arg, ...]) -> SetResponseHeader:
        name, value = _name_value(self.name, args)
        if has_placeholders(value):
            return SetResponseHeaderTemplate(name, value)
        return SetResponseHeader(name, value)
