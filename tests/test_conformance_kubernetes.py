"""The conformance runner on Kubernetes fixture families: skipperd's own fixtures (tests/kubernetes)
all pass, Skipper's golden files (the conformance corpus, harness.CONFORMANCE) pass at the bar, and a wrong expectation,
a failed API list or a log pattern that does not match is a FAIL line."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import CONFORMANCE, conformance_missing
from skipperd import conformance
from skipperd.conformance import kubernetes_fixtures as kf

HERE = Path(__file__).resolve().parent
OWN = HERE / "kubernetes"
KUBE_CORPUS = [CONFORMANCE / "kubernetes", CONFORMANCE / "kubernetes-definitions"]
MISSING = conformance_missing("kubernetes") or conformance_missing("kubernetes-definitions")


def _fixture_count(root: Path) -> int:
    n = 0
    for family in sorted(p for p in root.rglob("*") if p.is_dir()):
        if kf.is_errorwrap_dir(family):
            n += 1
        elif kf.is_family(family):
            n += sum(1 for fx in kf.fixtures(family) if fx.has_content())
    return n


def _run(paths: list[Path], strict: bool = True) -> tuple[int, int, str]:
    out = io.StringIO()
    passed, failed = conformance.run_paths([str(p) for p in paths], out, strict_logs=strict)
    return passed, failed, out.getvalue()


def test_own_fixtures_all_pass_with_strict_logs() -> None:
    passed, failed, text = _run([OWN])
    assert "FAIL" not in text, text
    assert (passed, failed) == (_fixture_count(OWN), 0)
    assert passed >= 7


@pytest.mark.skipif(bool(MISSING), reason=MISSING)
def test_shared_kubernetes_corpus_meets_the_bar() -> None:
    passed, failed, text = _run(KUBE_CORPUS, strict=False)
    total = passed + failed
    assert total == sum(_fixture_count(p) for p in KUBE_CORPUS)
    assert total > 250
    print(text)
    assert passed / total >= 0.95, text
    # what passes today must keep passing: every fixture, routes and errors
    assert failed == 0, text


@pytest.mark.skipif(bool(MISSING), reason=MISSING)
def test_shared_kubernetes_corpus_logs_match_too() -> None:
    passed, failed, text = _run(KUBE_CORPUS, strict=True)
    assert failed == 0, text


def _copy_family(tmp_path: Path, family: str) -> Path:
    dst = tmp_path / family
    shutil.copytree(OWN / family, dst)
    return dst


def test_wrong_expected_routes_fail_with_the_route_named(tmp_path: Path) -> None:
    fam = _copy_family(tmp_path, "options")
    eskip = fam / "namespace.eskip"
    eskip.write_text(eskip.read_text().replace("10.0.0.2:8080", "10.0.0.3:8080"))
    passed, failed, text = _run([fam])
    assert failed == 1
    assert "FAIL" in text and "namespace" in text and "kube_default__app__a_example_org_____svc" in text
    assert text.endswith(f"{passed} passed, 1 failed\n")


def test_a_failed_list_fails_the_load_and_the_error_is_matched(tmp_path: Path) -> None:
    fam = _copy_family(tmp_path, "options")
    (fam / "namespace.api").write_text("failOn:\n- /api/v1/services\n")
    (fam / "namespace.eskip").write_text("")
    passed, failed, text = _run([fam])
    assert failed == 1 and "failed to load cluster state" in text  # no .error: the error fails it
    (fam / "namespace.error").write_text("failed to load cluster state: request to /api/v1/services failed\n")
    passed, failed, text = _run([fam])
    assert failed == 0, text
    (fam / "namespace.error").write_text("some other error\n")
    passed, failed, text = _run([fam])
    assert failed == 1 and "some other error" in text


def test_a_failed_resource_list_only_skips_routegroups(tmp_path: Path) -> None:
    fam = _copy_family(tmp_path, "options")
    (fam / "routegroup-class.api").write_text("failOn:\n- /apis/zalando.org/v1\n")
    (fam / "routegroup-class.eskip").write_text("")
    (fam / "routegroup-class.log").write_text("Error while checking known resource types: .+[.]\n")
    passed, failed, text = _run([fam])
    assert failed == 0, text


def test_log_patterns_fail_only_with_strict_logs(tmp_path: Path) -> None:
    fam = _copy_family(tmp_path, "annotations")
    (fam / "invalid-path-mode.log").write_text("level=error msg=\"no such line\"\n")
    assert _run([fam], strict=False)[1] == 0
    passed, failed, text = _run([fam], strict=True)
    assert failed == 1 and "no such line" in text


def test_unreadable_default_filters_dir_is_only_logged(tmp_path: Path) -> None:
    fam = _copy_family(tmp_path, "options")
    (fam / "namespace.default-filters").write_text("a regular file, not a directory\n")
    (fam / "namespace.log").write_text("could not fetch default filter configurations\n")
    passed, failed, text = _run([fam])
    assert failed == 0, text


def test_default_filters_dir_is_applied(tmp_path: Path) -> None:
    fam = _copy_family(tmp_path, "options")
    d = fam / "namespace.default-filters"
    d.mkdir()
    (d / "svc.default").write_text('setRequestHeader("X-Default", "1")')
    (d / "invalid-file-name").write_text("ignored(")
    eskip = fam / "namespace.eskip"
    eskip.write_text(eskip.read_text().replace("-> <roundRobin", '-> setRequestHeader("X-Default", "1") -> <roundRobin'))
    passed, failed, text = _run([fam])
    assert failed == 0, text


def test_command_line_runs_a_family_and_reports_totals() -> None:
    proc = subprocess.run([sys.executable, "-m", "skipperd", "conformance", "--strict-logs", str(OWN)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == f"{_fixture_count(OWN)} passed, 0 failed"


def test_command_line_exit_status_is_1_on_failure(tmp_path: Path) -> None:
    fam = _copy_family(tmp_path, "options")
    (fam / "healthcheck.eskip").write_text("")
    proc = subprocess.run([sys.executable, "-m", "skipperd", "conformance", str(fam)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "healthcheck" in proc.stdout
