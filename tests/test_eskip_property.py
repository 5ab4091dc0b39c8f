"""eskip properties (hypothesis): print then parse gives the same routes, and no input makes the
parser fail with anything but ParseError.

Generated routes cover ids, predicate and filter names, arguments mixing finite floats with any
Unicode text (quotes, backslashes, newlines, control characters), the predicates the parser
checks (in valid shapes), every backend type, and LB backends with and without an algorithm
and zones.
"""

from __future__ import annotations

from typing import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skipperd.eskip import (
    Arg,
    Backend,
    BackendType,
    Filter,
    ParseError,
    Predicate,
    Route,
    filters_to_string,
    parse,
    parse_filters,
    parse_predicates,
    predicates_to_string,
    print_routes,
)
from skipperd.eskip.lexer import _tokenize_exact, tokenize
from skipperd.eskip.route import DYNAMIC, FORWARD, LOOPBACK, SHUNT

# No example database: the suite writes nothing into the tree. The example counts keep this file
# at about ten seconds; generating whole documents is what costs.


def examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


CHECKED = {"Path", "Method", "Host", "PathRegexp", "Header", "HeaderRegexp", "Any"}

symbols = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
names = symbols.filter(lambda s: s not in CHECKED)
tricky = st.text(alphabet=st.sampled_from(list('\\"`/\n\r\t\a\b\f\v\x00\x7f *;->&()<>,:[]#ü日\u00a0\u2028')), max_size=16)
strings = st.one_of(st.text(max_size=24), tricky)
numbers = st.floats(allow_nan=False, allow_infinity=False)
args: st.SearchStrategy[tuple[Arg, ...]] = st.lists(st.one_of(numbers, strings), max_size=4).map(tuple)
generic_predicates = st.builds(Predicate, names, args)
filters = st.builds(Filter, symbols, args)


@st.composite
def predicate_lists(draw: st.DrawFn) -> tuple[Predicate, ...]:
    """Any predicates, plus the checked ones in shapes the parser accepts, in any order."""
    found = draw(st.lists(generic_predicates, max_size=4))
    one = st.tuples(strings)
    two = st.tuples(strings, strings)
    if draw(st.booleans()):
        found.append(Predicate("Path", draw(one)))
    if draw(st.booleans()):
        found.append(Predicate("Method", draw(one)))
    found += [Predicate("Host", a) for a in draw(st.lists(one, max_size=2))]
    found += [Predicate("PathRegexp", a) for a in draw(st.lists(one, max_size=2))]
    found += [Predicate("HeaderRegexp", a) for a in draw(st.lists(two, max_size=2))]
    headers = draw(st.dictionaries(strings, strings, max_size=2))
    found += [Predicate("Header", (k, v)) for k, v in headers.items()]
    return tuple(draw(st.permutations(found)))


@st.composite
def lb_backends(draw: st.DrawFn) -> Backend:
    count = draw(st.integers(1, 4))
    if draw(st.integers(0, 4)) == 0:
        endpoints = draw(st.lists(st.from_regex(r"/[A-Za-z0-9/._~-]{0,10}", fullmatch=True), min_size=count, max_size=count))
    else:
        scheme = draw(st.sampled_from(["http", "https", "fastcgi", "HTTP"]))
        hosts = st.from_regex(r"[a-z0-9.-]{0,12}(:[0-9]{0,5})?(/[A-Za-z0-9/._~-]{0,8})?", fullmatch=True)
        endpoints = [f"{scheme}://{h}" for h in draw(st.lists(hosts, min_size=count, max_size=count))]
    zones: tuple[str, ...] = ()
    if draw(st.booleans()):
        zones = tuple(draw(st.lists(st.one_of(st.just(""), st.text(min_size=1, max_size=8)), min_size=count, max_size=count)))
        if not any(zones):
            zones = ()
    algorithm = draw(st.one_of(st.none(), symbols))
    return Backend(BackendType.LB, algorithm=algorithm, endpoints=tuple(endpoints), zones=zones)


backends = st.one_of(
    st.builds(lambda a: Backend(BackendType.NETWORK, address=a), strings),
    st.sampled_from([SHUNT, LOOPBACK, DYNAMIC, FORWARD]),
    lb_backends(),
)


def routes_with(ids: st.SearchStrategy[str]) -> st.SearchStrategy[Route]:
    return st.builds(Route, ids, predicate_lists(), st.lists(filters, max_size=3).map(tuple), backends)


documents = st.one_of(
    st.lists(routes_with(symbols), max_size=5),
    routes_with(st.just("")).map(lambda r: [r]),
)


@examples(200)
@given(documents, st.booleans())
def test_print_then_parse(routes: list[Route], pretty: bool) -> None:
    assert parse(print_routes(routes, pretty=pretty)) == routes


@examples(100)
@given(st.lists(filters, max_size=4))
def test_filter_list_round_trip(found: list[Filter]) -> None:
    assert parse_filters(filters_to_string(found)) == found


@examples(100)
@given(st.lists(st.builds(Predicate, symbols, args), min_size=1, max_size=4))
def test_predicate_list_round_trip(found: list[Predicate]) -> None:
    assert parse_predicates(predicates_to_string(found)) == found


# -- no input breaks the parser -------------------------------------------------------------


def _only_parse_errors(text: str) -> None:
    try:
        routes = parse(text)
    except ParseError:
        pass
    else:
        # Whatever parses prints, and the print parses back to the same routes.
        assert parse(print_routes(routes)) == routes
    entry: Callable[[str], object]
    for entry in (parse_filters, parse_predicates):
        try:
            entry(text)
        except ParseError:
            pass


def _lexers_agree(data: bytes) -> None:
    fast, exact = tokenize(data), _tokenize_exact(data)
    assert (fast.kinds, fast.values, fast.error) == (exact.kinds, exact.values, exact.error)
    last = len(fast.kinds) - 1
    assert fast.end(last) == exact.end(last)


@examples(1000)
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    _only_parse_errors(text)


@examples(500)
@given(st.binary())
def test_arbitrary_bytes_as_latin1(data: bytes) -> None:
    _only_parse_errors(data.decode("latin-1"))
    _lexers_agree(data)


_PIECES = list("*;:,()<>\"`/\\-&.0123456789 \n\t#xr") + ["->", "&&", "//", "<shunt>", '"http://a"', "/x/", "Path(", "r1:", "\u00a0", "ü"]


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    text = print_routes(draw(documents), pretty=draw(st.booleans()))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(_PIECES)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif action == "replace":
            text = text[:at] + draw(st.sampled_from(_PIECES)) + text[at + 1 :]
        else:
            end = at + draw(st.integers(1, 20))
            text = text[:end] + text[at:end] + text[end:]
    return text


@examples(250)
@given(mutated_documents())
def test_mutated_documents(text: str) -> None:
    _only_parse_errors(text)
    _lexers_agree(text.encode("utf-8", "surrogatepass"))
