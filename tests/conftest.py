"""Fixtures shared by the suite: real skipperd processes through tests/harness.py."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from harness import Options, Skipperd


@pytest.fixture
def skipperd(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., Skipperd]]:
    """A factory: ``skipperd(routes=..., workers=2, args=[...])`` starts one; all stop at teardown."""
    started: list[Skipperd] = []

    def start(opts: Options | None = None, wait: bool = True, **kw: object) -> Skipperd:
        o = opts or Options(**kw)  # type: ignore[arg-type]
        d = tmp_path / f"skipperd{len(started)}"
        d.mkdir()
        s = Skipperd(o, d)
        started.append(s)
        return s.start(wait=wait)

    yield start
    failed = getattr(request.node, "rep_call", None)
    for s in started:
        s.stop()
        if failed is not None and failed.failed:
            print(f"--- log of skipperd on :{s.port} ---\n{s.log()[-8000:]}")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, "rep_" + rep.when, rep)
