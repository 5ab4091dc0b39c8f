"""Host and HostAny, and the host index key the routing table uses.

``Host(rx)`` searches the request's Host header (port included) with a regular expression;
``HostAny(h, ...)`` compares it for exact equality with any of its arguments. Both are
case-sensitive, as in Skipper; ``-normalize-host`` is what makes routing case-insensitive.

Index form. The Kubernetes converter writes a host as ``^(www[.]example[.]org[.]?(:[0-9]+)?)$``
(several hosts as alternatives inside the group). For such a regexp, whose hosts are plain
labels (letters, digits, ``-``, ``_``, and ``[.]``, not ending in a dot), "the regexp matches the
Host header" is exactly "``normalize_host(header)`` is one of the hosts", where
``normalize_host`` strips a ``:digits`` port and then one trailing dot. Instances expose those hosts as ``index_hosts`` with
``index_exact = True``: the table serves them from a dict and never runs the regexp, which is
compiled only if ``match`` is called directly. HostAny exposes the normalised forms of its
arguments with ``index_exact = False``: the index narrows the candidates, the exact comparison
still runs.

Literal form. A regexp that is one anchored host, ``^www[.]example[.]org$`` or
``^www\\.example\\.org$`` (as routes files often have it), matches one Host header exactly: the
predicate compares strings instead of running the regexp, and exposes the normalised host with
``index_exact = False`` (a header with a port normalises to the same key but does not match).
"""

from __future__ import annotations

import re

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.http.request import Request
from skipperd.params import Param, REGEXP, STRING
from skipperd.predicates import args as A
from skipperd.regexp import Regexp, compile_re2

_SUFFIX = "[.]?(:[0-9]+)?"
_LABELS = re.compile(r"(?:[A-Za-z0-9_-]|\[\.\])+")
_LITERAL = re.compile(r"\^((?:[A-Za-z0-9_-]|\[\.\]|\\\.)+)\$")


def normalize_host(host: str) -> str:
    """The host index key of a Host header: ``:digits`` port stripped, then one trailing dot."""
    i = host.rfind(":")
    if i >= 0:
        port = host[i + 1:]
        if port.isdigit() and port.isascii():
            host = host[:i]
    if host[-1:] == ".":
        host = host[:-1]
    return host


def exact_hosts(rx: str) -> tuple[str, ...]:
    """The hosts of a regexp in the converter's form, or ``()`` when it is not in that form."""
    if not (rx.startswith("^(") and rx.endswith(")$")):
        return ()
    hosts = []
    for alt in rx[2:-2].split("|"):
        if not alt.endswith(_SUFFIX):
            return ()
        literal = alt[: -len(_SUFFIX)]
        # A host ending in a dot cannot be told from its normalised form (the dot is stripped).
        if not _LABELS.fullmatch(literal) or literal.endswith("[.]"):
            return ()
        hosts.append(literal.replace("[.]", "."))
    return tuple(hosts)


def literal_host(rx: str) -> str | None:
    """The one host a regexp in the literal form matches, or ``None``."""
    m = _LITERAL.fullmatch(rx)
    return None if m is None else m.group(1).replace("[.]", ".").replace("\\.", ".")


class HostPredicate:
    __slots__ = ("source", "index_hosts", "index_exact", "_rx", "_equals")

    def __init__(self, source: str, rx: Regexp | None, hosts: tuple[str, ...],
                 equals: str | None = None) -> None:
        self.source = source
        self._rx = rx
        self._equals = equals
        if equals is not None:
            self.index_hosts: tuple[str, ...] = (normalize_host(equals),)
            self.index_exact = False
        else:
            self.index_hosts = hosts
            self.index_exact = bool(hosts)

    def match(self, request: Request) -> bool:
        if self._equals is not None:
            return request.host == self._equals
        rx = self._rx
        if rx is None:
            # Index form: valid by construction; compiled only when something asks outside the index.
            rx = self._rx = compile_re2(names.HOST, self.source)
        return rx.matches(request.host)


class HostSpec:
    name = names.HOST
    summary = 'the Host matches a regexp'
    params = (Param("regexp", REGEXP, "e.g. /^www[.]example[.]org$/"),)

    def create(self, args: tuple[Arg, ...]) -> HostPredicate:
        A.count(self.name, args, 1)
        source = A.string(self.name, args[0], "regular expression")
        hosts = exact_hosts(source)
        if hosts:
            return HostPredicate(source, None, hosts)
        literal = literal_host(source)
        if literal is not None:
            return HostPredicate(source, None, (), equals=literal)
        return HostPredicate(source, compile_re2(self.name, source), ())


class HostAnyPredicate:
    __slots__ = ("hosts", "index_hosts")

    index_exact = False

    def __init__(self, hosts: tuple[str, ...]) -> None:
        self.hosts = frozenset(hosts)
        self.index_hosts = tuple(dict.fromkeys(normalize_host(h) for h in hosts))

    def match(self, request: Request) -> bool:
        return request.host in self.hosts


class HostAnySpec:
    name = names.HOST_ANY
    summary = 'the Host is one of the given hosts (exactly, port included)'
    params = (Param("host", STRING, variadic=True),)

    def create(self, args: tuple[Arg, ...]) -> HostAnyPredicate:
        A.at_least_one(self.name, args)
        return HostAnyPredicate(A.strings(self.name, args, "host"))
