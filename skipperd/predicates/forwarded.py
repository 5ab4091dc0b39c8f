"""ForwardedHost and ForwardedProtocol: the standard ``Forwarded`` header (RFC 7239).

The first ``Forwarded`` field is read as Skipper reads it: its comma-separated elements are
walked in order and each ``host=`` or ``proto=`` pair (quotes removed, empty values skipped)
overrides the one before, so the last proxy's value counts. ``ForwardedHost(regexp)`` searches
the host; ``ForwardedProtocol("http" | "https")`` compares the protocol.
"""

from __future__ import annotations

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.http.request import Request
from skipperd.params import REGEXP, STRING, Param, check
from skipperd.regexp import Regexp, compile_re2


def parse_forwarded(value: str) -> tuple[str, str]:
    """``(host, proto)`` of the last element that names each."""
    host = proto = ""
    for element in value.split(","):
        for pair in element.strip().split(";"):
            token, eq, v = pair.partition("=")
            v = v.strip('"')
            if eq and v:
                if token == "proto":
                    proto = v
                elif token == "host":
                    host = v
    return host, proto


class ForwardedHostPredicate:
    __slots__ = ("rx",)

    def __init__(self, rx: Regexp) -> None:
        self.rx = rx

    def match(self, request: Request) -> bool:
        value = request.headers.get("forwarded")
        if not value:
            return False
        return self.rx.matches(parse_forwarded(value)[0])


class ForwardedProtocolPredicate:
    __slots__ = ("proto",)

    def __init__(self, proto: str) -> None:
        self.proto = proto

    def match(self, request: Request) -> bool:
        value = request.headers.get("forwarded")
        if not value:
            return False
        return parse_forwarded(value)[1] == self.proto


class ForwardedHostSpec:
    name = names.FORWARDED_HOST
    summary = "the host of the Forwarded header (last element) matches a regexp"
    params = (Param("host", REGEXP, "regexp the forwarded host must match"),)

    def create(self, args: tuple[Arg, ...]) -> ForwardedHostPredicate:
        check(self.name, self.params, args)
        if not args[0]:
            raise InvalidArguments(self.name, "the regexp must not be empty")
        return ForwardedHostPredicate(compile_re2(self.name, str(args[0])))


class ForwardedProtocolSpec:
    name = names.FORWARDED_PROTOCOL
    summary = "the proto of the Forwarded header (last element) is http or https"
    params = (Param("protocol", STRING, choices=("http", "https")),)

    def create(self, args: tuple[Arg, ...]) -> ForwardedProtocolPredicate:
        check(self.name, self.params, args)
        return ForwardedProtocolPredicate(str(args[0]))
