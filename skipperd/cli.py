"""Command-line dispatch: the server, the admission webhook, the fake Kubernetes API server
(fake-apiserver), and the offline tools (eskip, conformance, settings-doc)."""

from __future__ import annotations

import sys
from typing import Callable, Sequence, TextIO

from skipperd import __version__
from skipperd.errors import ConfigError
from skipperd.eskip.route import Route


def _usage(err: TextIO) -> int:
    err.write("usage: skipperd eskip check FILE... | skipperd eskip print FILE\n")
    return 2


def _eskip(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    from skipperd.commands import eskip_cmd

    if len(argv) >= 2 and argv[0] == "check":
        return eskip_cmd.check(list(argv[1:]), out, err, validate=_registry_validator())
    if len(argv) == 2 and argv[0] == "print":
        return eskip_cmd.print_(argv[1], out, err)
    return _usage(err)


def _registry_validator() -> Callable[[list[Route]], list[str]]:
    """Checks that go beyond the parser: every predicate and filter exists and accepts its arguments."""

    def validate(routes: list[Route]) -> list[str]:
        from skipperd import filters, predicates
        from skipperd.routing.compile import validate as validate_routes

        options = filters.FilterOptions(role=filters.options.SUPERVISOR)
        _, invalid = validate_routes(routes, predicates.make_registry(), filters.make_registry(options))
        return [f"route {r.route_id!r}: {r.reason}" for r in invalid]

    return validate


def version_text() -> str:
    """``skipperd -version``: the release and which request path this installation runs."""
    from skipperd import compiled

    return f"skipperd {__version__} (request path {compiled.status()})\n"


def main(argv: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if argv and argv[0] == "eskip":
        return _eskip(argv[1:], out, err)
    if argv and argv[0] == "conformance":
        from skipperd import conformance

        return conformance.main(list(argv[1:]))
    if argv and argv[0] == "webhook":
        from skipperd.webhook import server

        return server.main(list(argv[1:]), err)
    if argv and argv[0] in ("filters", "predicates"):
        from skipperd.commands import reference

        return reference.main(argv[0], list(argv[1:]), out, err)
    if argv and argv[0] == "fake-apiserver":
        from skipperd.kubeapi.main import main as fake_apiserver

        return fake_apiserver(argv[1:], out, err)
    if argv and argv[0] == "settings-doc":
        from skipperd.config import reference_markdown

        out.write(reference_markdown())
        return 0
    from skipperd import config

    wanted = "help" if argv and argv[0] == "help" else config.wants(argv)
    if wanted == "help":
        out.write(config.help_text())
        return 0
    if wanted == "version":
        out.write(version_text())
        return 0

    try:
        settings = config.load(argv)
    except ConfigError as e:
        err.write(f"skipperd: {e}\n")
        return 2
    if settings.kubernetes:
        # Options Skipper refuses at start (a bad path mode, class regexp, annotation flag) stop
        # skipperd here, not its route supervisor in a restart loop.
        from skipperd.dataclients.kubernetes import KubeOptions

        try:
            KubeOptions.from_settings(settings)
        except ConfigError as e:
            err.write(f"skipperd: {e}\n")
            return 2
    from skipperd.app import run

    return run(settings, list(argv))
