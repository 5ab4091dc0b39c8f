"""The eskip route language: route definitions, parser and printer (pure, no I/O).

It models Skipper's eskip: a document of routes (``id: predicates -> filters -> backend;``),
and the bare filter chains and predicate lists used by default-filters files and Kubernetes
annotations. Definitions are frozen values (``route.py``); the parser accepts exactly what
Skipper's accepts and fails with Skipper's messages; the printer writes text that parses back
to equal definitions.

Public API::

    parse(text) -> list[Route]                 # a whole document
    parse_filters(text) -> list[Filter]        # "f1() -> f2()"
    parse_predicates(text) -> list[Predicate]  # "P1() && P2()"
    print_routes(routes) -> str                # a document that parses back to equal routes
    route_to_string(route), filters_to_string(filters), predicates_to_string(predicates)
    ParseError, RouteDefinitionError

The grammar and the checks after parsing are Skipper's (its eskip package); ``lexer.py`` and
``parser.py`` say how they are implemented.
"""

from skipperd.eskip.parser import ParseError, RouteDefinitionError, parse, parse_filters, parse_predicates
from skipperd.eskip.printer import (
    backend_to_string,
    filters_to_string,
    format_number,
    predicates_to_string,
    print_routes,
    route_to_string,
)
from skipperd.eskip.route import Arg, Backend, BackendType, Filter, Predicate, Route

__all__ = [
    "Arg",
    "Backend",
    "BackendType",
    "Filter",
    "ParseError",
    "Predicate",
    "Route",
    "RouteDefinitionError",
    "backend_to_string",
    "filters_to_string",
    "format_number",
    "parse",
    "parse_filters",
    "parse_predicates",
    "predicates_to_string",
    "print_routes",
    "route_to_string",
]
