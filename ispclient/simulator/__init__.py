"""A protocol-faithful MikroTik RouterOS API server for tests, the demo mode and benchmarks.

``RouterSim`` listens on loopback, speaks the binary API (plain or TLS), keeps real
``/ppp/secret``, ``/ppp/active`` and ``/ppp/profile`` tables, and can misbehave on request
(``fault``, ``latency_ms``) so the client's error handling can be tested. No Qt here.
"""

from .server import FAULTS, Fault, RouterSim

__all__ = ["FAULTS", "Fault", "RouterSim"]
