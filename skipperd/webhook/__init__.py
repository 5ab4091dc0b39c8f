"""Skipper's validating admission webhook (upstream cmd/webhook), as ``skipperd webhook``.

It models the Kubernetes admission contract for Ingresses and RouteGroups: an
``admission.k8s.io/v1`` AdmissionReview POSTed to ``/ingresses`` or ``/routegroups`` is answered
with the same kind of review, allowing the object or refusing it with the validation errors the
data client would log for it (the same validators, ``dataclients.kubernetes.definitions``).

* ``admission.py``: the pure part, a request body in, an HTTP status and body out;
* ``server.py``: the HTTP(S) server, its flags, ``/healthz`` and ``/metrics``.
"""
