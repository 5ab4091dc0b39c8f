"""Kubernetes objects the tests serve: the ingress-controller guide's skipper-demo, and more."""

from __future__ import annotations


def demo(port: int, ips: tuple[str, ...] = ("127.0.0.1", "127.0.0.2"),
         host: str = "skipper-demo.example.org") -> str:
    """The guide's demo: Service skipper-demo (port 80 to the pods' ``port``, named "external"),
    its Endpoints (one pod per loopback address, all on ``port``, as pods share a port on
    different IPs), and the Ingress for ``host``."""
    addresses = "\n".join(f"  - ip: {ip}" for ip in ips)
    return f"""apiVersion: v1
kind: Service
metadata:
  name: skipper-demo
  namespace: default
  labels:
    application: skipper-demo
spec:
  type: ClusterIP
  clusterIP: 10.3.0.10
  ports:
  - port: 80
    protocol: TCP
    targetPort: {port}
    name: external
  selector:
    application: skipper-demo
---
apiVersion: v1
kind: Endpoints
metadata:
  name: skipper-demo
  namespace: default
  labels:
    application: skipper-demo
subsets:
- addresses:
{addresses}
  ports:
  - name: external
    port: {port}
    protocol: TCP
---
{ingress(host)}"""


def ingress(host: str = "skipper-demo.example.org", name: str = "skipper-demo", service: str = "skipper-demo",
            namespace: str = "default") -> str:
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {namespace}
spec:
  rules:
  - host: {host}
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: {service}
            port:
              number: 80
"""


ROUTEGROUP = """apiVersion: zalando.org/v1
kind: RouteGroup
metadata:
  name: my-rg
  namespace: team
  labels:
    application: rg
spec:
  hosts:
  - rg.example.org
  backends:
  - name: be
    type: shunt
  routes:
  - pathSubtree: /
    backends:
    - backendName: be
"""
