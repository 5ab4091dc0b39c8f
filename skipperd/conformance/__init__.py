"""The conformance runner: skipperd checked against Skipper's own test data.

It models Skipper's conformance corpus (its golden fixtures and vectors, kept outside the
repository; the formats are described below and in the modules): each path given is run
according to what it holds, and every case ends as one pass or one ``FAIL <where>: <reason>``
line, followed by the total ``N passed, M failed``.

What a path holds decides how it runs (``_FILE_KINDS``, ``_DIR_KINDS``, first match wins):

* a ``*.yaml`` file with a top-level ``cases:`` list is an eskip case file (``eskip_cases``);
* a folder with ``expected.yaml`` listing AdmissionReview bodies is a set of admission cases
  (``kubernetes_admission``);
* a folder with ``routegroups.json`` and ``errors.log`` is a RouteGroup error list, and a folder
  of ``NAME.yaml``/``.kube``/``.eskip``/``.api``/``.error``/``.log``/``.default-filters`` files is
  a Kubernetes fixture family (``kubernetes_fixtures``), each fixture one case;
* a directory that no directory kind claims is walked, entries in sorted order, and each entry
  is dispatched the same way; files of no known kind are skipped there.

Usage: ``skipperd conformance [--strict-logs] PATH...`` or ``python -m skipperd.conformance
PATH...``; ``--strict-logs`` makes a Kubernetes fixture's ``.log`` patterns count (otherwise a
mismatch is a NOTE). The exit status is 0 when nothing failed, 1 when something did, 2 for a
usage error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Sequence, TextIO

from skipperd.conformance import eskip_cases, kubernetes_admission, kubernetes_fixtures

__all__ = ["Report", "main", "run_paths"]

USAGE = ("usage: skipperd conformance [--strict-logs] PATH...\n"
         "  PATH: eskip case files, Kubernetes fixture families, or folders holding them;\n"
         "  --strict-logs: a Kubernetes fixture's .log patterns must match too\n")


class Report:
    """Counts outcomes and writes the lines a reader needs: failures and notes."""

    def __init__(self, out: TextIO, strict_logs: bool = False) -> None:
        self.out = out
        self.strict_logs = strict_logs
        self.passes = 0
        self.failures = 0

    def passed(self, where: str) -> None:
        self.passes += 1

    def failed(self, where: str, reason: str) -> None:
        self.failures += 1
        self.out.write(f"FAIL {where}: {_one_line(reason)}\n")

    def note(self, where: str, text: str) -> None:
        """Something worth knowing that does not fail the case (an error message that differs)."""
        self.out.write(f"NOTE {where}: {_one_line(text)}\n")


_Detect = Callable[[Path], bool]
_Run = Callable[[Path, Report], None]

# (what it is, does the path hold one?, run it)
_FILE_KINDS: list[tuple[str, _Detect, _Run]] = [
    ("eskip case file", eskip_cases.is_case_file, eskip_cases.run_file),
]
_DIR_KINDS: list[tuple[str, _Detect, _Run]] = [
    ("admission cases", kubernetes_admission.is_admission_dir, kubernetes_admission.run_admission_dir),
    ("route group error list", kubernetes_fixtures.is_errorwrap_dir, kubernetes_fixtures.run_errorwrap_dir),
    ("kubernetes family", kubernetes_fixtures.is_family,
     lambda path, report: kubernetes_fixtures.run_family(path, report, report.strict_logs)),
]


def run_paths(paths: Sequence[str], out: TextIO, strict_logs: bool = False) -> tuple[int, int]:
    """Run everything under ``paths``; returns ``(passed, failed)`` after writing the total line."""
    report = Report(out, strict_logs)
    for p in paths:
        path = Path(p)
        if path.is_dir():
            _run_dir(path, report, set())
        elif not _run_file(path, report):
            report.failed(str(path), "not a conformance file (an eskip case file has a top-level cases: list, "
                                     "Kubernetes fixtures are run by their family folder)")
    out.write(f"{report.passes} passed, {report.failures} failed\n")
    return report.passes, report.failures


def _run_file(path: Path, report: Report) -> bool:
    for _, detect, run in _FILE_KINDS:
        if detect(path):
            run(path, report)
            return True
    return False


def _run_dir(path: Path, report: Report, seen: set[str]) -> None:
    real = os.path.realpath(path)
    if real in seen:
        return  # a symlink back up the tree
    seen.add(real)
    for _, detect, run in _DIR_KINDS:
        if detect(path):
            run(path, report)
            return
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            _run_dir(child, report, seen)
        else:
            _run_file(child, report)


def _one_line(text: str) -> str:
    """One case, one line: a parse error can quote a token that holds a line break."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``skipperd conformance PATH...``: 0 when nothing failed, 1 when something did, 2 for usage."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    args = list(argv)
    if args and args[0] in ("-h", "-help", "--help"):
        out.write(USAGE)
        return 0
    strict_logs = False
    while args and args[0] in ("--strict-logs", "-strict-logs"):
        strict_logs = True
        args = args[1:]
    if args and args[0] == "--":
        args = args[1:]
    elif any(a.startswith("-") for a in args):
        err.write(USAGE)
        return 2
    if not args:
        err.write(USAGE)
        return 2
    missing = [a for a in args if not os.path.exists(a)]
    if missing:
        for a in missing:
            err.write(f"skipperd conformance: {a}: no such file or directory\n")
        return 2
    passed, failed = run_paths(args, out, strict_logs)
    if passed + failed == 0:
        err.write("skipperd conformance: no conformance cases found\n")
    return 1 if failed else 0
