"""Source, SourceFromLast and ClientIP: the client's address against IPs and CIDR networks.

The networks are parsed once at create time. Source takes the first X-Forwarded-For entry (the
client as the first proxy saw it), SourceFromLast the last one (what AWS load balancers append);
both fall back to the peer address when the header is missing or its entry is not an address.
ClientIP always uses the peer address. These can be forged by clients unless the layer in front
sets X-Forwarded-For itself: routing is not access control.
"""

from __future__ import annotations

import ipaddress
from typing import Union

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.http.request import Request
from skipperd.params import Param, STRING
from skipperd.predicates import args as A

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def strip_port(addr: str) -> str:
    """``1.2.3.4:80`` -> ``1.2.3.4``, ``[::1]:80`` -> ``::1``; anything else as it is."""
    if addr[:1] == "[":
        end = addr.find("]")
        return addr[1:end] if end > 0 else addr
    if addr.count(":") == 1:
        return addr.partition(":")[0]
    return addr


def parse_address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(strip_port(text.strip()))
    except ValueError:
        return None


def parse_networks(name: str, args: tuple[Arg, ...]) -> tuple[Network, ...]:
    A.at_least_one(name, args)
    nets: list[Network] = []
    for a in A.strings(name, args, "address"):
        try:
            if "/" in a:
                # strict=False: like Go's netip.ParsePrefix, host bits may be set ("10.0.0.1/8").
                nets.append(ipaddress.ip_network(a, strict=False))
            else:
                ip = ipaddress.ip_address(a)
                if ip.is_unspecified:
                    raise InvalidArguments(name, f"unspecified address {a!r}")
                nets.append(ipaddress.ip_network(ip))
        except ValueError as e:
            raise InvalidArguments(name, f"invalid IP or CIDR {a!r}: {e}") from None
    return tuple(nets)


def _contains(nets: tuple[Network, ...], ip: Address | None) -> bool:
    if ip is None:
        return False
    for net in nets:
        if ip in net:
            return True
    return False


class SourcePredicate:
    __slots__ = ("nets",)

    def __init__(self, nets: tuple[Network, ...]) -> None:
        self.nets = nets

    def address(self, request: Request) -> Address | None:
        xff = request.headers.get("x-forwarded-for")
        if xff:
            ip = parse_address(xff.partition(",")[0])
            if ip is not None:
                return ip
        return parse_address(request.remote_addr)

    def match(self, request: Request) -> bool:
        return _contains(self.nets, self.address(request))


class SourceFromLastPredicate(SourcePredicate):
    __slots__ = ()

    def address(self, request: Request) -> Address | None:
        xff = request.headers.get("x-forwarded-for")
        if xff:
            ip = parse_address(xff.rpartition(",")[2])
            if ip is not None:
                return ip
        return parse_address(request.remote_addr)


class ClientIPPredicate(SourcePredicate):
    __slots__ = ()

    def address(self, request: Request) -> Address | None:
        return parse_address(request.remote_addr)


class SourceSpec:
    name = names.SOURCE
    summary = 'the first X-Forwarded-For address, else the peer, is in one of the networks'
    params = (Param("network", STRING, "an IP or a CIDR", variadic=True),)

    def __init__(self, reverse: bool = False) -> None:
        # -reverse-source-predicate: the last X-Forwarded-For address, as SourceFromLast.
        self.reverse = reverse

    def create(self, args: tuple[Arg, ...]) -> SourcePredicate:
        if self.reverse:
            return SourceFromLastPredicate(parse_networks(self.name, args))
        return SourcePredicate(parse_networks(self.name, args))


class SourceFromLastSpec:
    name = names.SOURCE_FROM_LAST
    summary = 'the last X-Forwarded-For address, else the peer, is in one of the networks'
    params = (Param("network", STRING, "an IP or a CIDR", variadic=True),)

    def create(self, args: tuple[Arg, ...]) -> SourcePredicate:
        return SourceFromLastPredicate(parse_networks(self.name, args))


class ClientIPSpec:
    name = names.CLIENT_IP
    summary = 'the peer address is in one of the networks'
    params = (Param("network", STRING, "an IP or a CIDR", variadic=True),)

    def create(self, args: tuple[Arg, ...]) -> SourcePredicate:
        return ClientIPPredicate(parse_networks(self.name, args))
