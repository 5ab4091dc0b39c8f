"""Routing: from validated route definitions to the per-worker table that picks a route per request.

``compile`` checks definitions and turns them into runtime routes (``route``), creating spec
instances through a ``SpecCache`` (``cache``) so identical predicates and filters share one
instance; the supervisor checks each definition with ``compile_route`` before it publishes. ``table.build_table``
builds a ``RouteTable`` in a worker; its ``match(request)`` finds the route with Skipper's rules:
the path tree of Path and PathSubtree, priority by predicate count and Weight, and a host index
for the exact Host form the Kubernetes converter writes (``matcher``, which explains the rules).
"""
