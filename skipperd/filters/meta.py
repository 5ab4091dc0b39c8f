"""Filters that only describe a route: comment, annotate, originMarker.

``comment(...)`` does nothing (any arguments). ``annotate(key, value)`` records ``key: value``
under ``filter.annotate`` in the state bag, for later filters that document the key; a later
annotation of the same key wins. ``originMarker(origin, id, created)`` names the object a route
was generated from and its RFC 3339 creation time (for route-creation metrics); it does nothing
per request.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import ANY, STRING, Param

ANNOTATIONS_KEY = "filter." + names.ANNOTATE
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


class Comment:
    """No request or response phase: the routing table never calls it."""

    __slots__ = ()


class CommentSpec(Spec):
    name = names.COMMENT
    summary = "does nothing: a comment on the route"
    params = (Param("text", ANY, "anything", optional=True, variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return Comment()


class Annotate:
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self.key = key
        self.value = value

    def request(self, ctx: FilterContext) -> None:
        annotations = ctx.state_bag.get(ANNOTATIONS_KEY)
        if annotations is None:
            ctx.state_bag[ANNOTATIONS_KEY] = {self.key: self.value}
        else:
            annotations[self.key] = self.value


class AnnotateSpec(Spec):
    name = names.ANNOTATE
    summary = "records key: value in the state bag (filter.annotate) for later filters"
    params = (Param("key", STRING), Param("value", STRING))

    def make(self, args: tuple[Arg, ...]) -> Any:
        return Annotate(str(args[0]), str(args[1]))


class OriginMarker:
    __slots__ = ("origin", "id", "created")

    def __init__(self, origin: str, id: str, created: datetime) -> None:
        self.origin = origin
        self.id = id
        self.created = created


def parse_rfc3339(text: str) -> datetime:
    if _RFC3339.fullmatch(text) is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class OriginMarkerSpec(Spec):
    name = names.ORIGIN_MARKER
    summary = "names the object a route was made from and when (route creation metrics); a no-op"
    params = (Param("origin", STRING, "e.g. \"apiUsageMonitoring\""),
              Param("id", STRING, "the object the route comes from"),
              Param("created", STRING, "its creation time, RFC 3339"))

    def make(self, args: tuple[Arg, ...]) -> Any:
        try:
            created = parse_rfc3339(str(args[2]))
        except ValueError as e:
            raise InvalidArguments(self.name, str(e)) from None
        return OriginMarker(str(args[0]), str(args[1]), created)
