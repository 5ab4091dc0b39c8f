"""Route definitions: frozen, plain values (Skipper's ``eskip.Route``).

A definition is what crosses process boundaries (msgpack in shared memory) and what the printer
prints. The runtime objects built from it (spec instances, the matcher) live in ``routing``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Union

#: An argument of a predicate or filter. eskip has one number type, a 64-bit float.
Arg = Union[str, float]


@dataclass(frozen=True, slots=True)
class Predicate:
    name: str
    args: tuple[Arg, ...] = ()


@dataclass(frozen=True, slots=True)
class Filter:
    name: str
    args: tuple[Arg, ...] = ()


class BackendType(str, enum.Enum):
    NETWORK = "network"
    SHUNT = "shunt"
    LOOPBACK = "loopback"
    DYNAMIC = "dynamic"
    LB = "lb"
    FORWARD = "forward"


@dataclass(frozen=True, slots=True)
class Backend:
    """Where a route sends its requests.

    ``address`` is set for network backends. LB backends have ``endpoints`` and, parallel to them,
    ``zones`` (empty strings where an endpoint had no ``?zone=``; the whole tuple is empty when no
    endpoint had one). ``algorithm`` is ``None`` when the route did not name one.
    """

    type: BackendType
    address: str = ""
    algorithm: str | None = None
    endpoints: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()


SHUNT = Backend(BackendType.SHUNT)
LOOPBACK = Backend(BackendType.LOOPBACK)
DYNAMIC = Backend(BackendType.DYNAMIC)
FORWARD = Backend(BackendType.FORWARD)


@dataclass(frozen=True, slots=True)
class Route:
    id: str
    predicates: tuple[Predicate, ...] = ()
    filters: tuple[Filter, ...] = ()
    backend: Backend = field(default=SHUNT)
