"""Route sources: what counts as a change of the routes file, and how failures are reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skipperd.dataclients import SourceError
from skipperd.dataclients import routesfile
from skipperd.dataclients.inline import InlineRoutes
from skipperd.dataclients.routesfile import RoutesFile

HELLO = 'hello: Path("/hello") -> status(200) -> <shunt>;\n'


def test_routes_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "routes.eskip"
    path.write_text(HELLO)
    src = RoutesFile(str(path))
    assert src.changed(), "never loaded"
    assert [r.id for r in src.load()] == ["hello"]
    assert not src.changed()

    os.utime(path, ns=(1, 1))  # other times, same content: no change
    assert not src.changed()
    path.write_text(HELLO.replace("hello", "hallo"))  # same size
    assert src.changed()
    assert [r.id for r in src.load()] == ["hallo"]
    assert not src.changed()

    # Same size, same times, other text: a stat cannot tell; within the racy window the hash does.
    st = path.stat()
    path.write_text(HELLO.replace("hello", "hullo"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert src.changed()
    src.load()
    # Outside the window the stat is trusted: no read at all.
    monkeypatch.setattr(routesfile, "RACY_WINDOW", -1e9)
    monkeypatch.setattr(RoutesFile, "_read", lambda self, err: pytest.fail("read without a stat change"))
    assert not src.changed()


def test_routes_file_failures(tmp_path: Path) -> None:
    path = tmp_path / "routes.eskip"
    src = RoutesFile(str(path))
    with pytest.raises(SourceError, match="No such file"):
        src.load()
    assert not src.changed(), "still missing is no change"
    path.write_text('hello: Path("/hello") -> ')
    assert src.changed()
    with pytest.raises(SourceError) as e:
        src.load()
    assert e.value.source == f"routes file {path}"
    assert not src.changed(), "a broken file is not parsed again until it changes"
    path.write_bytes(b"\xff\xfe")
    assert src.changed()
    with pytest.raises(SourceError, match="UTF-8"):
        src.load()
    path.write_text("")
    assert src.changed() and src.load() == []


def test_inline_routes() -> None:
    src = InlineRoutes(HELLO)
    assert src.changed()
    assert [r.id for r in src.load()] == ["hello"]
    assert not src.changed()
    with pytest.raises(SourceError, match="inline routes"):
        InlineRoutes("hello: ->").load()
