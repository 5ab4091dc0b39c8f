"""``supervisor.table``: merging the sources and validating, with verdicts kept by Route object."""

from __future__ import annotations

from skipperd import filters, predicates
from skipperd.eskip import parse
from skipperd.eskip.route import Route
from skipperd.filters import FilterOptions
from skipperd.filters.options import SUPERVISOR
from skipperd.supervisor.table import Invalid, TableBuilder, build

PREDICATES = predicates.make_registry()
FILTERS = filters.make_registry(FilterOptions(role=SUPERVISOR))

FILE = parse('''
    a: Path("/a") -> setRequestHeader("X", "1") -> <shunt>;
    bad: Path("/b") -> noSuchFilter() -> <shunt>;
    args: Path("/c") -> setRequestHeader("X") -> <shunt>;
    twice: Path("/d") -> <shunt>;
    twice: Path("/e") -> <shunt>;
    trees: Path("/f") && PathSubtree("/g") -> <shunt>;
''')
INLINE = parse('a: Path("/inline") -> <shunt>; z: Host("^z$") -> "http://127.0.0.1:1"')


def test_merge_and_validation_reasons() -> None:
    t = build([("file", FILE), ("inline", INLINE)], PREDICATES, FILTERS)
    assert [r.id for r in t.routes] == ["a", "twice", "z"]
    assert t.routes[0].predicates[0].args == ("/inline",), "the later source wins"
    assert t.routes[1].predicates[0].args == ("/e",), "the later definition wins"
    reasons = {(i.route_id, i.source): i.reason for i in t.invalid}
    assert reasons == {
        ("twice", "file"): "duplicate route id, replaced by the definition later in the same source",
        ("a", "file"): "duplicate route id, replaced by the definition in inline",
        ("bad", "file"): "filter not found: 'noSuchFilter'",
        ("args", "file"): reasons[("args", "file")],
        ("trees", "file"): "more than one tree predicate (Path, PathSubtree)",
    }
    assert reasons[("args", "file")].startswith("invalid arguments to filter setRequestHeader")


def test_verdicts_are_kept_by_route_object() -> None:
    b = TableBuilder(PREDICATES, FILTERS)
    first = b.build([("file", FILE)])
    assert b.validated == 5  # the losing "twice" is not validated
    again = b.build([("file", list(FILE))])
    assert b.validated == 0 and again == first
    # An equal but new object is validated again; one new route costs one validation.
    edited = [*FILE[:3], Route("args", FILE[2].predicates, (), FILE[2].backend), *FILE[3:]]
    edited.remove(FILE[2])
    t = b.build([("file", edited), ("inline", INLINE)])
    assert b.validated == 3  # the edited route and the two inline ones
    assert [r.id for r in t.routes] == ["a", "args", "twice", "z"]  # ids keep their first place
    assert Invalid("bad", "filter not found: 'noSuchFilter'", "file") in t.invalid, "reported on every build"
    # The result equals a build without memory, whatever was remembered.
    assert t == build([("file", edited), ("inline", INLINE)], PREDICATES, FILTERS)
    b.forget()
    b.build([("file", edited), ("inline", INLINE)])
    assert b.validated == 6  # every route of the merged set
