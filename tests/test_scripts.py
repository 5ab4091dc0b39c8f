"""The README's first command, ./scripts/run, serves the demo table on the compiled request path."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from harness import REPO, Options, Skipperd, free_port


def test_scripts_run_serves_the_demo(tmp_path: Path) -> None:
    port, support = free_port(), free_port()
    log = open(tmp_path / "run.log", "wb")
    # Flags override conf/skipperd.conf, so the demo runs on free ports here.
    p = subprocess.Popen([str(REPO / "scripts" / "run"), f"-address=127.0.0.1:{port}",
                          f"-support-listener=127.0.0.1:{support}", "-workers=1",
                          f"-instance-name=run{port}", "-wait-for-healthcheck-interval=0"],
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    probe = Skipperd(Options(), tmp_path)
    probe.port = port
    try:
        deadline = time.monotonic() + 120
        while True:
            assert p.poll() is None, (tmp_path / "run.log").read_text()
            try:
                status, _, body = probe.request("GET", "/", headers={"Host": "skipper-demo.example.org"},
                                                timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
                time.sleep(0.2)
        assert status == 200
        assert b"background-color: green" in body and b"<h1>Hello!</h1>" in body
        if os.environ.get("SKIPPERD_EXPECT_COMPILED") == "1":
            # ./scripts/run builds (or finds) the same compiled request path as the suite's.
            assert "request path: compiled" in (tmp_path / "run.log").read_text()
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        log.close()
