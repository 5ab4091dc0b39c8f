"""``OTelBaggage(key[, value])``: an item of the W3C ``baggage`` header (OpenTelemetry).

The first ``baggage`` field is parsed as OpenTelemetry's Go SDK parses it: comma-separated
``key=value`` members, optional ``;property`` parts after the value, the key a token, the value
percent-decoded; a header that breaks these rules, or exceeds 180 members or 8192 bytes, counts
as no baggage at all. With one argument the key must be present; with two its value must equal
the second.
"""

from __future__ import annotations

from urllib.parse import unquote

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.http.request import Request
from skipperd.params import STRING, Param, check

MAX_MEMBERS = 180
MAX_BYTES = 8192
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# baggage-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (no space, '"', ',', ';', '\\')
_VALUE = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('",;\\')


def parse_baggage(header: str) -> dict[str, str] | None:
    """The members of a baggage header, or None when it is not valid."""
    if len(header) > MAX_BYTES:
        return None
    members: dict[str, str] = {}
    parts = header.split(",")
    if len(parts) > MAX_MEMBERS:
        return None
    for part in parts:
        part = part.strip(" \t")
        if not part:
            return None
        kv = part.split(";", 1)[0]
        key, eq, value = kv.partition("=")
        key, value = key.strip(" \t"), value.strip(" \t")
        if not eq or not key or any(c not in _TOKEN for c in key):
            return None
        if any(c not in _VALUE and c != "%" for c in value):
            return None
        members[key] = unquote(value)
    return members


class OTelBaggagePredicate:
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self.key = key
        self.value = value

    def match(self, request: Request) -> bool:
        header = request.headers.get("baggage")
        members = parse_baggage(header) if header else None
        if not members or self.key not in members:
            return False
        return not self.value or members[self.key] == self.value


class OTelBaggageSpec:
    name = names.OTEL_BAGGAGE
    summary = "the W3C baggage header has the key (and, when given, the value)"
    params = (Param("key", STRING), Param("value", STRING, optional=True))

    def create(self, args: tuple[Arg, ...]) -> OTelBaggagePredicate:
        check(self.name, self.params, args)
        return OTelBaggagePredicate(str(args[0]), str(args[1]) if len(args) == 2 else "")
