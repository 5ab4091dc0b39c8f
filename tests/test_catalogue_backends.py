"""preserveHost and backendIsProxy through real proxied requests, with and without
``-proxy-preserve-host`` (tests/catalogue.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from catalogue import Bad, Case, Catalogue, Result

HOST = [("Host", "www.example.org")]


def origin_host(r: Result) -> str:
    (h,) = r.origin("Host")
    return h


def is_origin(r: Result) -> None:
    assert origin_host(r).startswith("127.0.0.1:"), r.origin("Host")


CASES = [
    Case("default_host", headers=HOST, check=is_origin),
    Case("preserve_true", 'preserveHost("true")', headers=HOST, origin={"Host": ["www.example.org"]}),
    Case("preserve_false", 'preserveHost("false")', headers=HOST, check=is_origin),
    Case("preserve_true_after_set", 'setRequestHeader("Host", "set.example.org") -> preserveHost("true")',
         headers=HOST, origin={"Host": ["set.example.org"]}),
    Case("proxy", "backendIsProxy()", headers=HOST, path="/x?a=b",
         target="http://www.example.org/c/proxy/x?a=b"),
    Case("proxy_lb", "backendIsProxy()", headers=HOST, backend='<roundRobin, "ORIGIN">',
         target="http://www.example.org/c/proxy_lb"),
]
CASES_PRESERVING = [
    Case("flag_default", headers=HOST, origin={"Host": ["www.example.org"]}),
    Case("flag_preserve_false", 'preserveHost("false")', headers=HOST, check=is_origin),
    Case("flag_preserve_true", 'preserveHost("true")', headers=HOST, origin={"Host": ["www.example.org"]}),
]
BAD = [Bad("preserveHost()"), Bad('preserveHost("yes")'), Bad("preserveHost(1)"),
       Bad('preserveHost("true", "false")')]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    with Catalogue(Path(tmp_path_factory.mktemp("plain")), CASES, BAD) as c:
        yield c


@pytest.fixture(scope="module")
def preserving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    with Catalogue(Path(tmp_path_factory.mktemp("preserving")), CASES_PRESERVING,
                   args=["-proxy-preserve-host"]) as c:
        yield c


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_case(plain: Catalogue, case_id: str) -> None:
    plain.run(case_id)


@pytest.mark.parametrize("case_id", [c.id for c in CASES_PRESERVING])
def test_case_with_proxy_preserve_host(preserving: Catalogue, case_id: str) -> None:
    preserving.run(case_id)


def test_bad_arguments(plain: Catalogue) -> None:
    invalid = plain.invalid()
    for i, b in enumerate(BAD):
        assert f"bad_{i}" in invalid and "preserveHost" in invalid[f"bad_{i}"], invalid
