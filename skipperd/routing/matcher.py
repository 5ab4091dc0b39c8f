"""The matcher: which route takes a request (Skipper's ``routing/matcher.go`` and ``pathmux``).

How it works
============

Skipper's rules (docs/tutorials/basics.md, "Route matching"; docs/reference/predicates.md,
"The path tree"), reproduced here:

1. Path tree. Routes with ``Path`` or ``PathSubtree`` live in a tree of path segments. A lookup
   walks the request path segment by segment and at every node tries, in this order, the static
   child equal to the segment, then the ``:name`` wildcard child (one non-empty segment), then
   the free wildcard ``*name`` (the non-empty rest of the path). A node that ends the path offers
   its routes; if none of them matches (their other predicates fail), the walk backtracks and
   tries the next alternative at the deepest node first. So the more specific path wins, and
   ``/a/:x`` is only considered when nothing under the static ``/a/b`` took ``/a/b``.

2. Leaf order. The routes at one node are tried by priority score, highest first: ``Weight(n)``
   adds n, every other predicate adds 1 (Path and PathSubtree add nothing, TrafficSegment and
   ``Any`` add 0). Skipper leaves ties in no particular order; here a tie goes to the smaller
   route id, so a table answers the same in every worker and after every rebuild.

3. Root list. Routes without Path or PathSubtree are tried, in the same order, only when the
   tree found nothing.

4. PathSubtree("/p") is Path("/p"), Path("/p/") and Path("/p/**") at once: it takes ``/p``,
   ``/p/`` and everything below, with the part below as parameter ``*`` (``/`` for the path
   itself), or under the name of a trailing free wildcard: ``PathSubtree("/p/*rest")``.

5. Trailing slash, Skipper's default: ``Path("/foo")`` takes ``/foo`` but not ``/foo/``, and
   ``Path("/foo/")`` only ``/foo/``. With ``ignore_trailing_slash`` (``-ignore-trailing-slash``)
   the request path and the Path patterns lose a trailing slash before the tree is searched
   (PathRegexp still sees it). Request paths are cleaned first (``//``, ``.``, ``..``), as
   Skipper's ``httppath.Clean`` does.

Path parameters: wildcard values, and a free wildcard's rest with a leading ``/``. Unlike
Skipper, a value is not percent-decoded a second time (the request path already is decoded).

Host index
----------
Most routes of a Kubernetes cluster carry ``Host("^(www[.]example[.]org[.]?(:[0-9]+)?)$")``:
checked as a regexp, every route on a busy path would be tried for every host. A route whose
predicates include such a Host (or HostAny) is instead placed in a tree of its own host (one
per normalised host: ``predicates.host.normalize_host``), where the Host regexp is known to
match and is not evaluated; all other routes go to the generic tree. A request searches its
host's tree and the generic tree together: the walk of rule 1 runs over both trees at once (the
static, wildcard and free-wildcard children of both), and at a node the routes of both are
merged in the order of rule 2; the root lists are merged the same way. Every route that the
single tree of Skipper would have tried is tried, in the same order, so the answer is the one
without the index; the routes of other hosts are skipped because their Host cannot match.
Lookup cost depends on the path depth and the routes of one host, not on the number of hosts.
"""

from __future__ import annotations

from typing import Callable, Sequence

from skipperd.http.request import Request
from skipperd.predicates.host import normalize_host
from skipperd.predicates.path import CATCH_ALL, WILDCARD, PathPattern, clean_path
from skipperd.routing.route import RuntimeRoute


class Entry:
    """A route at one place in a tree, with the names its wildcards capture there."""

    __slots__ = ("route", "matchers", "names", "rest", "key")

    def __init__(self, route: RuntimeRoute, names: tuple[str | None, ...], rest: str | None) -> None:
        self.route = route
        self.matchers: tuple[Callable[[Request], bool], ...] = route.matchers
        self.names = names
        self.rest = rest
        self.key = (-route.priority, route.id)

    def params(self, values: list[str], rest: str | None) -> dict[str, str]:
        params: dict[str, str] = {}
        for name, value in zip(self.names, values):
            if name is not None:
                params[name] = value
        if self.rest is not None:
            params[self.rest] = "/" if rest is None else "/" + rest
        return params


class Node:
    __slots__ = ("static", "wild", "catch", "leaf")

    def __init__(self) -> None:
        self.static: dict[str, Node] | None = None
        self.wild: Node | None = None
        self.catch: list[Entry] | tuple[Entry, ...] | None = None
        self.leaf: list[Entry] | tuple[Entry, ...] | None = None

    def child(self, seg: str) -> Node:
        if seg == WILDCARD:
            if self.wild is None:
                self.wild = Node()
            return self.wild
        if self.static is None:
            self.static = {}
        node = self.static.get(seg)
        if node is None:
            node = self.static[seg] = Node()
        return node

    def finish(self) -> None:
        """Sort every route list by rule 2 and freeze it."""
        self.finish_own()
        if self.static is not None:
            for child in self.static.values():
                child.finish()
        if self.wild is not None:
            self.wild.finish()

    def finish_own(self) -> None:
        """``finish`` of this node's own lists, not of its children's."""
        key = _entry_key
        if self.leaf is not None:
            self.leaf = tuple(sorted(self.leaf, key=key))
        if self.catch is not None:
            self.catch = tuple(sorted(self.catch, key=key))

    def children(self) -> list[Node]:
        out: list[Node] = []
        if self.static is not None:
            out.extend(self.static.values())
        if self.wild is not None:
            out.append(self.wild)
        return out


def _entry_key(e: Entry) -> tuple[int, str]:
    return e.key


def _add(entries: list[Entry] | tuple[Entry, ...] | None, e: Entry) -> list[Entry]:
    if entries is None:
        return [e]
    assert isinstance(entries, list)
    entries.append(e)
    return entries


class Tree:
    """One path tree and its root list."""

    __slots__ = ("root", "root_list")

    def __init__(self) -> None:
        self.root = Node()
        self.root_list: list[Entry] | tuple[Entry, ...] = []

    def _node(self, segs: Sequence[str]) -> Node:
        node = self.root
        for s in segs:
            node = node.child(s)
        return node

    def add(self, route: RuntimeRoute, ignore_trailing_slash: bool) -> None:
        p: PathPattern | None = route.path
        if p is None:
            assert isinstance(self.root_list, list)
            self.root_list.append(Entry(route, (), None))
            return
        e = Entry(route, p.names, p.rest)
        segs = p.segments
        if p.subtree:
            node = self._node(segs)
            node.catch = _add(node.catch, e)
            if not segs:
                exact = node.child("")
                exact.leaf = _add(exact.leaf, e)
                return
            node.leaf = _add(node.leaf, e)
            if not ignore_trailing_slash:
                slash = node.child("")
                slash.leaf = _add(slash.leaf, e)
            return
        if ignore_trailing_slash and len(segs) > 1 and segs[-1] == "":
            segs = segs[:-1]
        if segs[-1] == CATCH_ALL:
            node = self._node(segs[:-1])
            node.catch = _add(node.catch, e)
        else:
            node = self._node(segs)
            node.leaf = _add(node.leaf, e)

    def finish(self) -> None:
        self.root.finish()
        self.finish_root_list()

    def finish_root_list(self) -> None:
        """``finish`` of the root list only (``routing.incremental`` finishes nodes one by one)."""
        self.root_list = tuple(sorted(self.root_list, key=_entry_key))

    def is_empty(self) -> bool:
        root = self.root
        return len(self.root_list) == 0 and root.static is None and root.wild is None and root.catch is None \
            and root.leaf is None


Found = tuple[Entry, "str | None"]


def _first(entries: Sequence[Entry], request: Request) -> Entry | None:
    for e in entries:
        for m in e.matchers:
            if not m(request):
                break
        else:
            return e
    return None


def _first2(a: Sequence[Entry] | None, b: Sequence[Entry] | None, request: Request) -> Entry | None:
    """The first matching entry of two sorted lists, in their merged order."""
    if a is None:
        return None if b is None else _first(b, request)
    if b is None:
        return _first(a, request)
    i = j = 0
    na, nb = len(a), len(b)
    while i < na or j < nb:
        if j == nb or (i < na and a[i].key < b[j].key):
            e = a[i]
            i += 1
        else:
            e = b[j]
            j += 1
        for m in e.matchers:
            if not m(request):
                break
        else:
            return e
    return None


def _search(node: Node, segs: list[str], i: int, n: int, vals: list[str], request: Request) -> Found | None:
    """Rule 1 over one tree, from ``node`` at segment ``i``; ``vals`` collects wildcard values."""
    if i == n:
        if node.leaf is not None:
            e = _first(node.leaf, request)
            if e is not None:
                return e, None
        return None
    seg = segs[i]
    if node.static is not None:
        child = node.static.get(seg)
        if child is not None:
            found = _search(child, segs, i + 1, n, vals, request)
            if found is not None:
                return found
    if node.wild is not None and seg:
        vals.append(seg)
        found = _search(node.wild, segs, i + 1, n, vals, request)
        if found is not None:
            return found
        vals.pop()
    if node.catch is not None and (seg or i + 1 < n):
        e = _first(node.catch, request)
        if e is not None:
            return e, "/".join(segs[i:]) if i + 1 < n else seg
    return None


def _search_pair(a: Node | None, b: Node | None, segs: list[str], i: int, n: int, vals: list[str],
                 request: Request) -> Found | None:
    if a is None:
        return None if b is None else _search(b, segs, i, n, vals, request)
    if b is None:
        return _search(a, segs, i, n, vals, request)
    return _search2(a, b, segs, i, n, vals, request)


def _search2(a: Node, b: Node, segs: list[str], i: int, n: int, vals: list[str], request: Request) -> Found | None:
    """Rule 1 over two trees at once, as if they were one (see "Host index")."""
    if i == n:
        e = _first2(a.leaf, b.leaf, request)
        return None if e is None else (e, None)
    seg = segs[i]
    ca = a.static.get(seg) if a.static is not None else None
    cb = b.static.get(seg) if b.static is not None else None
    if ca is not None or cb is not None:
        found = _search_pair(ca, cb, segs, i + 1, n, vals, request)
        if found is not None:
            return found
    if seg and (a.wild is not None or b.wild is not None):
        vals.append(seg)
        found = _search_pair(a.wild, b.wild, segs, i + 1, n, vals, request)
        if found is not None:
            return found
        vals.pop()
    if seg or i + 1 < n:
        e = _first2(a.catch, b.catch, request)
        if e is not None:
            return e, "/".join(segs[i:]) if i + 1 < n else seg
    return None


class Matcher:
    """The host-indexed path trees of one table."""

    __slots__ = ("_hosts", "_generic", "_trim")

    def __init__(self, routes: Sequence[RuntimeRoute], ignore_trailing_slash: bool = False,
                 trees: dict[str, Tree] | None = None, generic: Tree | None = None) -> None:
        """Index ``routes``. ``trees`` are finished host trees to take as they are (from the
        previous table, for hosts whose routes did not change), ``generic`` likewise the
        finished tree of the routes without a host: a table swap then costs one pass over the
        routes plus the trees of what changed (``routing.incremental``)."""
        self._trim = ignore_trailing_slash
        hosts: dict[str, Tree] = {}
        fresh: list[Tree] = []
        build_generic = generic is None
        gen = Tree() if generic is None else generic
        for r in routes:
            if r.hosts:
                for h in r.hosts:
                    tree = hosts.get(h)
                    if tree is None:
                        if trees is not None:
                            known = trees.get(h)
                            if known is not None:
                                hosts[h] = known
                                continue
                        tree = hosts[h] = Tree()
                        fresh.append(tree)
                    elif trees is not None and h in trees:
                        continue  # taken as it is: it has this route already
                    tree.add(r, ignore_trailing_slash)
            elif build_generic:
                gen.add(r, ignore_trailing_slash)
        for tree in fresh:
            tree.finish()
        if build_generic:
            gen.finish()
        self._hosts = hosts
        self._generic: Tree | None = None if gen.is_empty() else gen

    @staticmethod
    def assemble(trees: dict[str, Tree], generic: Tree | None, ignore_trailing_slash: bool = False) -> Matcher:
        """The matcher of finished trees, taken as they are: ``trees`` must hold the tree of every
        host of the table (``routing.incremental`` keeps the unchanged ones and builds the others)."""
        m = Matcher((), ignore_trailing_slash)
        m._hosts = trees
        m._generic = None if generic is None or generic.is_empty() else generic
        return m

    def trees(self) -> dict[str, Tree]:
        """The host trees (do not change them)."""
        return self._hosts

    def generic_tree(self) -> Tree | None:
        return self._generic

    @property
    def host_count(self) -> int:
        return len(self._hosts)

    def match(self, request: Request) -> tuple[RuntimeRoute, dict[str, str]] | None:
        path = request.path
        if path[:1] != "/" or "//" in path or "/." in path:
            path = clean_path(path)
        if self._trim and len(path) > 1 and path[-1] == "/":
            path = path[:-1]
        segs = path[1:].split("/")
        n = len(segs)
        vals: list[str] = []
        tree = self._hosts.get(normalize_host(request.host)) if self._hosts else None
        generic = self._generic
        found: Found | None
        if tree is None:
            if generic is None:
                return None
            found = _search(generic.root, segs, 0, n, vals, request)
            if found is None:
                e = _first(generic.root_list, request)
                return None if e is None else (e.route, {})
        elif generic is None:
            found = _search(tree.root, segs, 0, n, vals, request)
            if found is None:
                e = _first(tree.root_list, request)
                return None if e is None else (e.route, {})
        else:
            found = _search2(tree.root, generic.root, segs, 0, n, vals, request)
            if found is None:
                e = _first2(tree.root_list, generic.root_list, request)
                return None if e is None else (e.route, {})
        e, rest = found
        return e.route, e.params(vals, rest)
