"""The offline subcommands of ``skipperd``: ``eskip check``/``eskip print`` on route files."""
