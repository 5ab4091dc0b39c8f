"""teeResponse and the deprecated Tee filter through a real proxy: the copies reach a second
origin, the client's answer is unchanged (tests/catalogue.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest

from catalogue import Bad, Case, Catalogue
from echo_origin import EchoOrigin

SHADOW = EchoOrigin()

CASES = [
    Case("tee_response", f'teeResponse("{SHADOW.url}/ignored-path")', path="/x"),
    Case("tee_deprecated", f'Tee("{SHADOW.url}")', path="/y", method="POST", body=b"copy me"),
]
BAD = [Bad("teeResponse()"), Bad('teeResponse("not a url")'), Bad("teeResponse(1)"), Bad('Tee("ftp://x")')]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    with Catalogue(Path(tmp_path_factory.mktemp("shadow")), CASES, BAD) as c:
        yield c
    SHADOW.close()


def _wait(pred: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_tee_response_posts_the_response_body(catalogue: Catalogue) -> None:
    r = catalogue.run("tee_response")
    assert r.echo is not None and r.echo["target"] == "/c/tee_response/x"
    assert _wait(lambda: any(q["method"] == "POST" and q["target"] == "/" for q in SHADOW.requests))
    posted = next(q for q in SHADOW.requests if q["method"] == "POST" and q["target"] == "/")
    assert posted["body"] == r.body, "the shadow gets the response body the client got"


def test_deprecated_tee_is_tee(catalogue: Catalogue) -> None:
    r = catalogue.run("tee_deprecated")
    assert r.echo is not None and r.echo["body"] == "copy me"
    assert _wait(lambda: any(q["target"] == "/c/tee_deprecated/y" and q["body"] == b"copy me"
                             for q in SHADOW.requests))


def test_bad_arguments(catalogue: Catalogue) -> None:
    invalid = catalogue.invalid()
    for i, b in enumerate(BAD):
        assert f"bad_{i}" in invalid, b.expr


def test_loopback_if_status(tmp_path: Path) -> None:
    page = 'loopback_404: Path("/loopback-404") -> inlineContent("The page you are looking for is not available!") -> <shunt>;\n'
    cases = [
        Case("lb", 'loopbackIfStatus(404, "/loopback-404")', headers=[("X-Respond-Status", "404")], extra_routes=page,
             body_is=b"The page you are looking for is not available!"),
        Case("lb_other", 'loopbackIfStatus(404, "/loopback-404")', check=lambda r: r.echo is not None),
        Case("lb_loop", 'loopbackIfStatus(200, "/c/lb_loop")', status=500),
    ]
    with Catalogue(tmp_path, cases, [Bad("loopbackIfStatus(404)"), Bad('loopbackIfStatus(700, "/x")')]) as c:
        for case in cases:
            c.run(case.id)
        assert len(c.invalid()) == 2
