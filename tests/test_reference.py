"""The filter and predicate reference is generated from the specs and kept current.

docs/filters.md and docs/predicates.md are what ``skipperd filters --markdown`` and ``skipperd
predicates --markdown`` print; when a spec changes, regenerate them (the failure says how).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness import REPO
from skipperd import filters, predicates
from skipperd.commands import reference


@pytest.mark.parametrize("kind", ["filters", "predicates"])
def test_generated_pages_are_current(kind: str) -> None:
    page = (REPO / "docs" / f"{kind}.md").read_text()
    assert page == reference.markdown(kind), \
        f"docs/{kind}.md is stale: run `.venv/bin/skipperd {kind} --markdown > docs/{kind}.md`"


@pytest.mark.parametrize("kind,registry", [("filters", filters.make_registry), ("predicates", predicates.make_registry)])
def test_the_command_lists_every_name_with_its_arguments(kind: str, registry: object) -> None:
    out = subprocess.run([sys.executable, "-m", "skipperd", kind], capture_output=True, text=True, check=True,
                         cwd=REPO).stdout
    names = registry().names()  # type: ignore[operator]
    listed = [line.split("(")[0] for line in out.splitlines() if "(" in line and not line.startswith(" ")]
    assert sorted(listed) == sorted(names)
    assert out.rstrip().endswith(f"{len(names)} {kind}")


def test_every_predicate_declares_its_arguments() -> None:
    for spec in predicates.make_registry():
        assert isinstance(getattr(spec, "params", None), tuple), spec.name
        assert getattr(spec, "summary", ""), spec.name


def test_usage_error() -> None:
    r = subprocess.run([sys.executable, "-m", "skipperd", "filters", "--bogus"], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 2 and "usage: skipperd filters" in r.stderr


def test_every_filter_declares_its_arguments() -> None:
    for spec in filters.make_registry():
        assert isinstance(getattr(spec, "params", None), tuple), spec.name
        assert getattr(spec, "summary", ""), spec.name
