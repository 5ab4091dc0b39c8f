"""The shared table's encoding: table -> msgpack -> table gives equal routes."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skipperd.eskip.route import (DYNAMIC, FORWARD, LOOPBACK, SHUNT, Backend, BackendType, Filter,
                                  Predicate, Route)
from skipperd.shm.codec import FORMAT, CodecError, TableEncoder, decode_table, encode_table

names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
args = st.lists(st.one_of(st.text(max_size=20), st.floats(allow_nan=False)), max_size=4).map(tuple)
predicates = st.builds(Predicate, names, args)
filters = st.builds(Filter, names, args)
endpoints = st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4).map(tuple)


@st.composite
def lb_backends(draw: st.DrawFn) -> Backend:
    eps = draw(endpoints)
    zones = draw(st.one_of(st.just(()), st.lists(st.text(max_size=8), min_size=len(eps),
                                                 max_size=len(eps)).map(tuple)))
    algorithm = draw(st.one_of(st.none(), st.sampled_from(["roundRobin", "random", "consistentHash"])))
    return Backend(BackendType.LB, algorithm=algorithm, endpoints=eps, zones=zones)


backends = st.one_of(
    st.sampled_from([SHUNT, LOOPBACK, DYNAMIC, FORWARD]),
    st.builds(lambda a: Backend(BackendType.NETWORK, address=a), st.text(max_size=40)),
    lb_backends(),
)
routes = st.builds(Route, names, st.lists(predicates, max_size=4).map(tuple),
                   st.lists(filters, max_size=4).map(tuple), backends)
metas = st.dictionaries(st.text(max_size=10), st.one_of(st.integers(-2**63, 2**64 - 1), st.text(), st.none(),
                                                        st.booleans()), max_size=4)


@settings(database=None, max_examples=150, deadline=None)
@given(st.lists(routes, max_size=20), metas)
def test_round_trip(table: list[Route], meta: dict[str, object]) -> None:
    payload = encode_table(table, meta)
    back, meta_back = decode_table(payload)
    assert back == table
    assert meta_back == meta
    assert encode_table(list(table), dict(meta)) == payload, "equal tables give equal bytes"


@settings(database=None, max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.lists(routes, max_size=20), metas), min_size=1, max_size=4), st.randoms())
def test_table_encoder_gives_the_bytes_of_encode_table(tables: list[tuple[list[Route], dict[str, object]]],
                                                       rnd: object) -> None:
    """Across a sequence of tables that share Route objects (kept, moved, dropped, new), the
    encoder's payload is encode_table's, and only the routes it has not seen are packed."""
    enc = TableEncoder()
    previous: list[Route] = []
    for fresh, meta in tables:
        kept = [r for r in previous if rnd.random() < 0.7]  # type: ignore[attr-defined]
        table = kept + fresh
        rnd.shuffle(table)  # type: ignore[attr-defined]
        assert enc.encode(table, meta) == encode_table(table, meta)
        assert enc.packed == len({id(r) for r in table} - {id(r) for r in previous})
        previous = table


def test_table_encoder_sizes_of_the_route_array() -> None:
    enc = TableEncoder()
    route = Route("r", (), (), SHUNT)
    for n in (0, 15, 16, 65535, 65536):
        table = [route] * n
        assert enc.encode(table, {"k": 1}) == encode_table(table, {"k": 1})
    assert enc.packed == 0, "one object, packed once"


def test_shared_definitions_are_built_once() -> None:
    f = Filter("status", (200.0,))
    table = [Route(f"r{i}", (Predicate("Path", ("/x",)),), (f,)) for i in range(3)]
    back, _ = decode_table(encode_table(table, {}))
    assert back == table
    assert back[0].filters[0] is back[2].filters[0]
    assert back[0].backend is back[1].backend


def test_compact_form() -> None:
    table = [Route("r", (Predicate("Path", ("/",)),), (Filter("status", (200.0,)),), SHUNT)]
    assert msgpack.unpackb(encode_table(table, {})) == [FORMAT, {}, [["r", [["Path", ["/"]]],
                                                                      [["status", [200.0]]], [1]]]]


@pytest.mark.parametrize("payload", [b"", b"\xc1", msgpack.packb([FORMAT + 1, {}, []]),
                                     msgpack.packb([FORMAT, [], []]),
                                     msgpack.packb([FORMAT, {}, [["r", [], [], [99]]]])])
def test_bad_payload_is_a_codec_error(payload: bytes) -> None:
    with pytest.raises(CodecError):
        decode_table(payload)
