"""The server monkey-patches with gevent before threading, ssl or concurrent.futures are imported.

The arbiter, the supervisor and the workers are forked from the entry point; a module imported
before the patch would keep blocking primitives in every worker (gunicorn guards the same in its
``test_gevent_import_order.py``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import sys
    import gevent.monkey  # gevent itself imports threading and logging, and patches them correctly
    real = gevent.monkey.patch_all
    seen = {}
    def spy(*a, **kw):
        seen["before"] = sorted(m for m in sys.modules
                                if m in ("ssl", "concurrent.futures", "urllib3", "gunicorn")
                                or (m.startswith("skipperd.") and m not in (
                                    "skipperd.__main__", "skipperd.compiled",
                                    # -help/-version anywhere: the flag declarations, standard library only
                                    "skipperd.config", "skipperd.errors")))
        return real(*a, **kw)
    gevent.monkey.patch_all = spy
    sys.argv = ["skipperd", "-no-such-flag"]   # stops right after the patch, in config parsing
    import skipperd.__main__
    code = skipperd.__main__.main()
    print("code", code)
    print("patched", gevent.monkey.is_module_patched("threading"), gevent.monkey.is_module_patched("ssl"),
          gevent.monkey.is_module_patched("socket"))
    print("before", seen.get("before"))
""")


def test_patch_happens_before_threading_ssl_and_futures() -> None:
    p = subprocess.run([sys.executable, "-c",
                        "import sys; import skipperd.__main__ as m; import skipperd.config; "
                        "print(sorted(x for x in ('threading','ssl','concurrent.futures','logging') if x in sys.modules))"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]", "skipperd/__init__, __main__ and config must not import these before patching"


def test_entry_point_patches_the_server_path() -> None:
    p = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = dict(line.split(" ", 1) for line in p.stdout.strip().splitlines())
    assert lines["code"] == "2"
    assert lines["patched"] == "True True True"
    assert lines["before"] == "[]"
