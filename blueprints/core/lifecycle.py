"""Whether this process is shutting down (a web worker got SIGTERM).

The web worker (core.server) calls `begin_shutdown()` when asked to stop: requests already in
flight still finish, but `/api/v1/health/ready` answers 503 so a load balancer stops sending
new ones, responses ask clients to close their keep-alive connections, and followed log streams
end with a retry hint instead of being cut when the grace period runs out.
"""

from __future__ import annotations

import threading

_stopping = threading.Event()


def begin_shutdown() -> None:
    _stopping.set()


def shutting_down() -> bool:
    return _stopping.is_set()


def close_connections_while_stopping(response):  # an after-request hook
    """While stopping, ask the client to drop its keep-alive connection: the next request
    goes to a process that is staying."""
    if shutting_down():
        response.headers["Connection"] = "close"
    return response
