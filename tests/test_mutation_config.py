"""scripts/mutation's set-up (setup.cfg [mutmut]) points at what exists and stays fast.

Mutation testing itself takes minutes per module (docs/testing.md); this checks in a second that
its configuration did not rot: the modules it mutates and the tests it runs exist, those tests
are in-process ones (no skipperd process), and the script refuses what is not a module.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import subprocess
from pathlib import Path

from harness import REPO


def mutmut_section() -> configparser.SectionProxy:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    return cfg["mutmut"]


def lines(value: str) -> list[str]:
    return [x.strip() for x in value.splitlines() if x.strip()]


def test_every_mutated_pattern_names_pure_core_sources() -> None:
    section = mutmut_section()
    assert lines(section["source_paths"]) == ["skipperd"]
    sources = [str(p.relative_to(REPO)) for p in (REPO / "skipperd").rglob("*.py")]
    for pattern in lines(section["only_mutate"]):
        assert [s for s in sources if fnmatch.fnmatch(s, pattern)], f"{pattern} matches no source"
        # The pure core only: never the request path's I/O, the supervisor or the workers.
        assert not pattern.startswith(("skipperd/proxy", "skipperd/worker", "skipperd/supervisor"))


def test_the_selected_tests_exist_and_run_in_process() -> None:
    selection = lines(mutmut_section()["pytest_add_cli_args_test_selection"])
    paths = [s for s in selection if not s.startswith("-")]
    assert paths
    files: list[Path] = []
    for p in paths:
        path = REPO / p
        assert path.exists(), p
        files += sorted(path.glob("test_*.py")) if path.is_dir() else [path]
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                args = {a.arg for a in node.args.args}
                assert "skipperd" not in args, f"{f.name}::{node.name} starts skipperd processes"
    for option in (s for s in selection if s.startswith("--deselect=")):
        file, _, name = option.removeprefix("--deselect=").partition("::")
        assert f"def {name}(" in (REPO / file).read_text(), option


def test_the_script_refuses_what_is_not_a_module_of_skipperd() -> None:
    r = subprocess.run([str(REPO / "scripts" / "mutation"), "tests/harness.py"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "not a module of skipperd: tests.harness" in r.stderr
