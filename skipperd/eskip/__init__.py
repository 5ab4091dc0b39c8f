"""The eskip route language: route definitions, parser and printer (pure, no I/O).

Public API::

    parse(text) -> list[Route]                 # a whole document
    parse_filters(text) -> list[Filter]        # "f1() -> f2()"
    parse_predicates(text) -> list[Predicate]  # "P1() && P2()"
    print_routes(routes) -> str                # a document that parses back to equal routes
    ParseError

See ../shared/conformance/eskip/GRAMMAR.md for the grammar and the checks after parsing.
"""

from skipperd.eskip.route import Arg, Backend, BackendType, Filter, Predicate, Route

__all__ = ["Arg", "Backend", "BackendType", "Filter", "Predicate", "Route"]
