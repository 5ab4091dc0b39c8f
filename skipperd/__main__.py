"""The ``skipperd`` command.

The server patches the standard library with gevent before anything imports ``threading``,
``ssl``, ``logging`` or ``concurrent.futures``: the arbiter, the route supervisor and the workers
are all forked from this process, and a module imported before the patch would keep the real,
blocking primitives (gunicorn's ``test_gevent_import_order.py`` guards the same thing). The
offline subcommands (``eskip``, ``conformance``, ``settings-doc``, and ``-help`` or ``-version``
anywhere on the command line) do no I/O worth a hub and skip the patch; so does ``webhook``, a
small threaded control-plane server of its own that forks nothing.
"""

import sys

OFFLINE = ("eskip", "conformance", "settings-doc", "help", "webhook",
           "fake-apiserver")  # the fake API server runs on real threads


def main() -> int:
    argv = sys.argv[1:]
    if not (argv and argv[0] in OFFLINE) and not _asks_help_or_version(argv):
        from gevent import monkey

        monkey.patch_all()
    from skipperd.cli import main as cli_main

    return cli_main(argv)


def _asks_help_or_version(argv: list[str]) -> bool:
    # skipperd.config imports nothing that gevent must patch first.
    from skipperd.config import wants

    return wants(argv) != ""


if __name__ == "__main__":
    sys.exit(main())
