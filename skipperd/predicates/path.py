"""Path, PathSubtree and PathRegexp.

Path and PathSubtree are the tree predicates: the routing table consumes their ``pattern`` to
place the route in its path tree (``skipperd.routing.matcher``) and never calls their ``match``
per request. ``match`` still works on its own (Skipper's default trailing-slash behaviour), for
callers outside the table.

Patterns, as in Skipper (docs/reference/predicates.md, "Path"): the argument is cleaned like a URL
path (leading slash added, ``//``, ``.`` and ``..`` resolved, a trailing slash kept); a segment
``:name`` matches one non-empty segment; a last segment ``*name`` matches the rest of the path
(non-empty); ``*`` or ``:`` elsewhere in a segment is an error, and so is a free wildcard that is
not last. Captured values become path parameters; a free wildcard's value starts with ``/``.
PathSubtree matches its path, the path with a trailing slash, and everything below; the part below
is the parameter ``*`` (or the name of a trailing free wildcard), ``/`` for the path itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.http.request import Request
from skipperd.params import Param, REGEXP, STRING
from skipperd.predicates import args as A
from skipperd.regexp import Regexp, compile_re2


def clean_path(p: str) -> str:
    """Skipper's ``httppath.Clean``: ``path.Clean`` that adds a leading and keeps a trailing slash."""
    if p[:1] == "/" and "//" not in p and "/." not in p:
        return p  # the common case: nothing to do, nothing allocated
    if not p:
        return "/"
    out: list[str] = []
    parts = p.split("/")
    for s in parts:
        if s == "" or s == ".":
            continue
        if s == "..":
            if out:
                out.pop()
            continue
        out.append(s)
    last = parts[-1]
    trailing = last == "" or last == "."
    cleaned = "/" + "/".join(out)
    if trailing and out:
        cleaned += "/"
    return cleaned


WILDCARD = ":"
CATCH_ALL = "*"


@dataclass(frozen=True, slots=True)
class PathPattern:
    """A Path or PathSubtree argument, parsed for the path tree.

    ``segments`` are the path's segments after the leading slash: literal strings, ``":"`` for a
    wildcard and a final ``"*"`` for a free wildcard; a trailing slash is a final ``""``. For a
    subtree they are the base path, without trailing slash or free wildcard. ``names`` are the
    wildcard names in order (``None`` for an unnamed ``:``, which captures nothing, as in Skipper);
    ``rest`` names the free wildcard or the subtree parameter.
    """

    subtree: bool
    segments: tuple[str, ...]
    names: tuple[str | None, ...]
    rest: str | None

    def regex(self) -> re.Pattern[str]:
        """The equivalent regular expression (for ``match`` outside the table)."""
        parts = ["[^/]+" if s == WILDCARD else ".+" if s == CATCH_ALL else re.escape(s) for s in self.segments]
        body = "/".join(parts)
        if self.subtree:
            return re.compile(f"/{body}(?:/.*)?" if parts else "/.*")
        return re.compile("/" + body)


def parse_pattern(name: str, arg: str, subtree: bool) -> PathPattern:
    segs = clean_path(arg)[1:].split("/")
    out: list[str] = []
    wild_names: list[str | None] = []
    rest: str | None = None
    last = len(segs) - 1
    for i, s in enumerate(segs):
        if s[:1] == WILDCARD:
            out.append(WILDCARD)
            wild_names.append(s[1:] or None)
        elif s[:1] == CATCH_ALL:
            if i != last:
                raise InvalidArguments(name, f"free wildcard param should be last: {arg!r}")
            out.append(CATCH_ALL)
            rest = s[1:] or "*"
        elif WILDCARD in s or CATCH_ALL in s:
            raise InvalidArguments(name, f"'*' or ':' in the middle of path segment {s!r} in {arg!r}")
        else:
            out.append(s)
    if subtree:
        if out and out[-1] == CATCH_ALL:
            out.pop()
        else:
            rest = "*"
        if out and out[-1] == "":
            out.pop()
    return PathPattern(subtree, tuple(out), tuple(wild_names), rest)


class PathPredicate:
    __slots__ = ("pattern", "_rx")

    def __init__(self, pattern: PathPattern) -> None:
        self.pattern = pattern
        self._rx: re.Pattern[str] | None = None

    def match(self, request: Request) -> bool:
        rx = self._rx
        if rx is None:
            # Compiled on first use only: the table never calls this, and a table holds thousands.
            rx = self._rx = self.pattern.regex()
        return rx.fullmatch(clean_path(request.path)) is not None


class PathSpec:
    name = names.PATH
    summary = 'the path matches exactly; :name and *name wildcards capture'
    params = (Param("path", STRING, "e.g. \"/users/:id\" or \"/static/*file\""),)
    subtree = False

    def create(self, args: tuple[Arg, ...]) -> PathPredicate:
        A.count(self.name, args, 1)
        return PathPredicate(parse_pattern(self.name, A.string(self.name, args[0], "path"), self.subtree))


class PathSubtreeSpec(PathSpec):
    name = names.PATH_SUBTREE
    summary = 'the path is the prefix or below it (wildcards as Path)'
    params = (Param("prefix", STRING, "e.g. \"/api\""),)
    subtree = True


class PathRegexpPredicate:
    """Matches the cleaned path (Skipper matches ``httppath.Clean(r.URL.Path)``)."""

    __slots__ = ("rx",)

    def __init__(self, rx: Regexp) -> None:
        self.rx = rx

    def match(self, request: Request) -> bool:
        return self.rx.matches(clean_path(request.path))


class PathRegexpSpec:
    name = names.PATH_REGEXP
    summary = 'the path matches a regexp (several PathRegexp must all match)'
    params = (Param("regexp", REGEXP),)

    def create(self, args: tuple[Arg, ...]) -> PathRegexpPredicate:
        A.count(self.name, args, 1)
        return PathRegexpPredicate(compile_re2(self.name, A.string(self.name, args[0], "regular expression")))
