"""The rest of Skipper's header filters (``filters/builtin/headerfilter.go`` upstream).

append, drop, drop-by-regexp, from the state bag, copy, and the deprecated ``requestHeader``,
``responseHeader``, ``requestCopyHeader`` and ``responseCopyHeader``; each in a request and a
response form. As in Skipper, a filter that sets the request's ``Host`` header also sets the
outgoing host. Values that come from templates, the state bag or another header pass
``header_value_ok`` first: one holding CR, LF or NUL is not set.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.filters.template import Template, has_placeholders
from skipperd.filters.values import go_sprint, header_value_ok
from skipperd.http.context import FilterContext
from skipperd.params import REGEXP, STRING, Param
from skipperd.regexp import Regexp, compile_re2

NAME = Param("name", STRING, "header name")
VALUE = Param("value", STRING, "header value; may contain ${...} template placeholders")


def header_name(spec: str, arg: Arg) -> str:
    name = str(arg)
    if not name or any(c in name for c in " \t\r\n\0:"):
        raise InvalidArguments(spec, f"invalid header name {name!r}")
    return name


def literal_value(spec: str, arg: Arg) -> str:
    value = str(arg)
    if not header_value_ok(value):
        raise InvalidArguments(spec, "a header value cannot contain CR, LF or NUL")
    return value


# --- append ---------------------------------------------------------------------------------------

class AppendRequestHeader:
    __slots__ = ("name", "lower", "value", "template", "is_host")

    def __init__(self, name: str, value: str, templated: bool) -> None:
        self.name = name
        self.lower = name.lower()
        self.value = value
        self.template = Template(value) if templated else None
        self.is_host = self.lower == "host"

    def request(self, ctx: FilterContext) -> None:
        value = self.value
        if self.template is not None:
            value, ok = self.template.apply(ctx)
            if not ok or not header_value_ok(value):
                return
        ctx.request.headers.raw().append((self.lower, self.name, value))
        if self.is_host:
            ctx.outgoing_host = value


class AppendResponseHeader:
    __slots__ = ("name", "value", "template")

    def __init__(self, name: str, value: str, templated: bool) -> None:
        self.name = name
        self.value = value
        self.template = Template(value) if templated else None

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is None:
            return
        value = self.value
        if self.template is not None:
            value, ok = self.template.apply(ctx)
            if not ok or not header_value_ok(value):
                return
        ctx.response.headers.add(self.name, value)


class AppendRequestHeaderSpec(Spec):
    name = names.APPEND_REQUEST_HEADER
    summary = "adds a request header value after those already there (templates as setRequestHeader)"
    params = (NAME, VALUE)

    def make(self, args: tuple[Arg, ...]) -> Any:
        name, value = header_name(self.name, args[0]), literal_value(self.name, args[1])
        return AppendRequestHeader(name, value, has_placeholders(value))


class AppendResponseHeaderSpec(Spec):
    name = names.APPEND_RESPONSE_HEADER
    summary = "adds a response header value after those already there (templates as setResponseHeader)"
    params = (NAME, VALUE)

    def make(self, args: tuple[Arg, ...]) -> Any:
        name, value = header_name(self.name, args[0]), literal_value(self.name, args[1])
        return AppendResponseHeader(name, value, has_placeholders(value))


class DeprecatedRequestHeaderSpec(Spec):
    """``requestHeader``: appends the value as it is (no templates); use appendRequestHeader."""

    name = names.REQUEST_HEADER
    summary = "deprecated: appends a request header value, no templates (use setRequestHeader or appendRequestHeader)"
    params = (NAME, Param("value", STRING, "header value"))

    def make(self, args: tuple[Arg, ...]) -> Any:
        return AppendRequestHeader(header_name(self.name, args[0]), literal_value(self.name, args[1]), False)


class DeprecatedResponseHeaderSpec(Spec):
    name = names.RESPONSE_HEADER
    summary = "deprecated: appends a response header value, no templates (use setResponseHeader or appendResponseHeader)"
    params = (NAME, Param("value", STRING, "header value"))

    def make(self, args: tuple[Arg, ...]) -> Any:
        return AppendResponseHeader(header_name(self.name, args[0]), literal_value(self.name, args[1]), False)


# --- drop -----------------------------------------------------------------------------------------

class DropRequestHeader:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def request(self, ctx: FilterContext) -> None:
        h = ctx.request.headers
        if self.name in h:
            h.remove(self.name)


class DropResponseHeader:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is not None and self.name in ctx.response.headers:
            ctx.response.headers.remove(self.name)


class DropRequestHeaderSpec(Spec):
    name = names.DROP_REQUEST_HEADER
    summary = "removes a header from the request"
    params = (NAME,)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return DropRequestHeader(header_name(self.name, args[0]))


class DropResponseHeaderSpec(Spec):
    name = names.DROP_RESPONSE_HEADER
    summary = "removes a header from the response"
    params = (NAME,)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return DropResponseHeader(header_name(self.name, args[0]))


def _drop_matching(headers: Any, name: str, rx: Regexp) -> None:
    values = headers.get_all(name)
    if not values:
        return
    keep = [v for v in values if not rx.matches(v)]
    if len(keep) == len(values):
        return
    headers.remove(name)
    for v in keep:
        headers.add(name, v)


class DropRequestHeaderRegexp:
    __slots__ = ("name", "rx")

    def __init__(self, name: str, rx: Regexp) -> None:
        self.name = name
        self.rx = rx

    def request(self, ctx: FilterContext) -> None:
        _drop_matching(ctx.request.headers, self.name, self.rx)


class DropResponseHeaderRegexp:
    __slots__ = ("name", "rx")

    def __init__(self, name: str, rx: Regexp) -> None:
        self.name = name
        self.rx = rx

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is not None:
            _drop_matching(ctx.response.headers, self.name, self.rx)


_RX = Param("regexp", REGEXP, "values this expression matches are removed")


class DropRequestHeaderRegexpSpec(Spec):
    name = names.DROP_REQUEST_HEADER_REGEXP
    summary = "removes the request header values that a regexp matches (Skipper's docs: dropRequestHeaderValueRegexp)"
    params = (NAME, _RX)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return DropRequestHeaderRegexp(header_name(self.name, args[0]), compile_re2(self.name, str(args[1])))


class DropResponseHeaderRegexpSpec(Spec):
    name = names.DROP_RESPONSE_HEADER_REGEXP
    summary = "removes the response header values that a regexp matches (Skipper's docs: dropResponseHeaderValueRegexp)"
    params = (NAME, _RX)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return DropResponseHeaderRegexp(header_name(self.name, args[0]), compile_re2(self.name, str(args[1])))


# --- from the state bag ---------------------------------------------------------------------------

class ContextRequestHeader:
    __slots__ = ("name", "lower", "key", "append", "is_host")

    def __init__(self, name: str, key: str, append: bool) -> None:
        self.name = name
        self.lower = name.lower()
        self.key = key
        self.append = append
        self.is_host = self.lower == "host"

    def request(self, ctx: FilterContext) -> None:
        bag = ctx.state_bag
        if self.key not in bag:
            return
        value = go_sprint(bag[self.key])
        if not header_value_ok(value):
            return
        h = ctx.request.headers
        if self.append:
            h.add(self.name, value)
        else:
            h.set_field(self.lower, self.name, value)
        if self.is_host:
            ctx.outgoing_host = value


class ContextResponseHeader:
    __slots__ = ("name", "lower", "key", "append")

    def __init__(self, name: str, key: str, append: bool) -> None:
        self.name = name
        self.lower = name.lower()
        self.key = key
        self.append = append

    def response(self, ctx: FilterContext) -> None:
        bag = ctx.state_bag
        if ctx.response is None or self.key not in bag:
            return
        value = go_sprint(bag[self.key])
        if not header_value_ok(value):
            return
        if self.append:
            ctx.response.headers.add(self.name, value)
        else:
            ctx.response.headers.set_field(self.lower, self.name, value)


_KEY = Param("key", STRING, "key in the state bag; nothing is set when it is absent")


class _ContextSpec(Spec):
    params = (NAME, _KEY)
    append = False
    response = False

    def make(self, args: tuple[Arg, ...]) -> Any:
        name = header_name(self.name, args[0])
        if self.response:
            return ContextResponseHeader(name, str(args[1]), self.append)
        return ContextRequestHeader(name, str(args[1]), self.append)


class SetContextRequestHeaderSpec(_ContextSpec):
    name = names.SET_CONTEXT_REQUEST_HEADER
    summary = "sets a request header to a value from the state bag (set by an earlier filter)"


class AppendContextRequestHeaderSpec(_ContextSpec):
    name = names.APPEND_CONTEXT_REQUEST_HEADER
    summary = "appends a value from the state bag to a request header"
    append = True


class SetContextResponseHeaderSpec(_ContextSpec):
    name = names.SET_CONTEXT_RESPONSE_HEADER
    summary = "sets a response header to a value from the state bag"
    response = True


class AppendContextResponseHeaderSpec(_ContextSpec):
    name = names.APPEND_CONTEXT_RESPONSE_HEADER
    summary = "appends a value from the state bag to a response header"
    append = True
    response = True


# --- copy -----------------------------------------------------------------------------------------

class CopyRequestHeader:
    __slots__ = ("source", "target", "lower", "is_host")

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target
        self.lower = target.lower()
        self.is_host = self.lower == "host"

    def request(self, ctx: FilterContext) -> None:
        value = ctx.request.headers.get(self.source)
        if value:
            ctx.request.headers.set_field(self.lower, self.target, value)
            if self.is_host:
                ctx.outgoing_host = value


class CopyResponseHeader:
    __slots__ = ("source", "target", "lower")

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target
        self.lower = target.lower()

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is None:
            return
        value = ctx.response.headers.get(self.source)
        if value:
            ctx.response.headers.set_field(self.lower, self.target, value)


_COPY = (Param("source", STRING, "header to copy from; nothing happens when it is empty"),
         Param("target", STRING, "header to set"))


class _CopySpec(Spec):
    params = _COPY
    response = False

    def make(self, args: tuple[Arg, ...]) -> Any:
        source, target = header_name(self.name, args[0]), header_name(self.name, args[1])
        return CopyResponseHeader(source, target) if self.response else CopyRequestHeader(source, target)


class CopyRequestHeaderSpec(_CopySpec):
    name = names.COPY_REQUEST_HEADER
    summary = "copies the value of one request header to another"


class CopyResponseHeaderSpec(_CopySpec):
    name = names.COPY_RESPONSE_HEADER
    summary = "copies the value of one response header to another"
    response = True


class DeprecatedCopyRequestHeaderSpec(_CopySpec):
    name = names.REQUEST_COPY_HEADER
    summary = "deprecated: copyRequestHeader"


class DeprecatedCopyResponseHeaderSpec(_CopySpec):
    name = names.RESPONSE_COPY_HEADER
    summary = "deprecated: copyResponseHeader"
    response = True
