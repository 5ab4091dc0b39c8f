"""``skipperd eskip check`` and ``print``, called as functions."""

from __future__ import annotations

import io
from pathlib import Path

from skipperd.commands import eskip_cmd
from skipperd.eskip import parse
from skipperd.eskip.route import Route


def _file(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return str(path)


def test_check_reports_each_file(tmp_path: Path) -> None:
    good = _file(tmp_path, "good.eskip", 'r1: Path("/a") -> "http://b";')
    syntax = _file(tmp_path, "syntax.eskip", "a: * -> <shunt>;\nb: Foo( -> <shunt>")
    semantic = _file(tmp_path, "semantic.eskip", 'a: * -> <shunt>; b: Path("/a") && Path("/b") -> <shunt>')
    shape = _file(tmp_path, "shape.eskip", "c: Method(1) -> <shunt>")
    binary = _file(tmp_path, "binary.eskip", b"\xff")
    missing = str(tmp_path / "missing.eskip")
    out, err = io.StringIO(), io.StringIO()
    assert eskip_cmd.check([good, syntax, semantic, shape, binary, missing], out, err) == 1
    assert out.getvalue() == ""
    lines = err.getvalue().splitlines()
    assert lines[0] == f"{syntax}: parse failed after token ->, last route id: b, position 27: syntax error"
    assert lines[1] == f'{semantic}: route "b": duplicate path tree predicate'
    assert lines[2] == f'{shape}: invalid route "c": Method predicate expects 1 string argument'
    assert lines[3].startswith(f"{binary}: not UTF-8 text")
    assert lines[4] == f"{missing}: No such file or directory"
    assert len(lines) == 5


def test_check_passes_valid_files(tmp_path: Path) -> None:
    good = _file(tmp_path, "good.eskip", "r: * -> <shunt>")
    assert eskip_cmd.check([good], io.StringIO(), io.StringIO()) == 0
    assert eskip_cmd.check([], io.StringIO(), io.StringIO()) == 2


def test_check_runs_the_validator(tmp_path: Path) -> None:
    good = _file(tmp_path, "good.eskip", "r1: * -> <shunt>; r2: * -> nope() -> <shunt>")
    seen: list[list[Route]] = []

    def validate(routes: list[Route]) -> list[str]:
        seen.append(routes)
        return [f"route {r.id!r}: filter not found" for r in routes if r.filters]

    err = io.StringIO()
    assert eskip_cmd.check([good], io.StringIO(), err, validate=validate) == 1
    assert err.getvalue() == f"{good}: route 'r2': filter not found\n"
    assert [r.id for r in seen[0]] == ["r1", "r2"]
    assert eskip_cmd.check([good], io.StringIO(), io.StringIO(), validate=lambda routes: []) == 0


def test_print_normalises(tmp_path: Path) -> None:
    path = _file(tmp_path, "routes.eskip", "// c\nb: Foo(007, /x\\/y/)->f(`q`)-><shunt>; a: * -> \"http://x\"")
    out = io.StringIO()
    assert eskip_cmd.print_(path, out, io.StringIO()) == 0
    assert out.getvalue() == 'b: Foo(7, "x/y")\n  -> f("q")\n  -> <shunt>;\n\na: *\n  -> "http://x";\n'
    assert parse(out.getvalue()) == parse(Path(path).read_text())


def test_print_fails_on_parse_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "bad.eskip", "r: ->")
    out, err = io.StringIO(), io.StringIO()
    assert eskip_cmd.print_(path, out, err) == 1
    assert out.getvalue() == ""
    assert err.getvalue() == f"{path}: parse failed after token ->, last route id: r, position 5: syntax error\n"
