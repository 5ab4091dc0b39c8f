"""The eskip printer (skipperd.eskip.printer): what mutation testing showed unchecked.

Its errors say what has no eskip form, so a caller (the eskip command, /routes) can report it.
"""

from __future__ import annotations

import math

import pytest

from skipperd.eskip import parse_filters
from skipperd.eskip.printer import format_number, predicates_to_string, print_routes
from skipperd.eskip.route import Backend, BackendType, Filter, Predicate, Route


@pytest.mark.parametrize(
    "routes, message",
    [
        ([Route("not a symbol")], "route id 'not a symbol' is not an eskip symbol"),
        ([Route("r", (Predicate("bad name"),))], "name 'bad name' is not an eskip symbol"),
        ([Route("r", (), (Filter("f-x"),))], "name 'f-x' is not an eskip symbol"),
        ([Route("r", (), (), Backend(BackendType.LB))], "an LB backend needs at least one endpoint"),
        ([Route("r", (), (), Backend(BackendType.LB, algorithm="round robin", endpoints=("http://a",)))],
         "LB algorithm 'round robin' is not an eskip symbol"),
        ([Route("r", (), (Filter("f", (math.nan,)),))], "NaN has no eskip form"),
    ],
)
def test_unprintable_routes_say_what_has_no_eskip_form(routes: list[Route], message: str) -> None:
    with pytest.raises(ValueError) as e:
        print_routes(routes)
    assert str(e.value) == message


def test_a_star_in_a_predicate_list_prints_as_itself() -> None:
    assert predicates_to_string([Predicate("*"), Predicate("Path", ("/a",))]) == '* && Path("/a")'
    assert predicates_to_string([]) == "*"


@pytest.mark.parametrize(
    "value, text",
    [(1e15, "1000000000000000"), (-1e15, "-1000000000000000"), (999999999999999.0, "999999999999999"),
     (100.0, "100"), (-0.0, "-0"), (0.0, "0"), (1.5e16, "15000000000000000"), (2.50, "2.5")],
)
def test_whole_and_large_numbers_print_without_a_fraction_or_exponent(value: float, text: str) -> None:
    assert format_number(value) == text
    assert parse_filters(f"f({text})")[0].args[0] == value
    assert math.copysign(1.0, parse_filters(f"f({text})")[0].args[0]) == math.copysign(1.0, value)
