"""Runtime drivers behind one interface; `get_runtime()` picks one from SPARKI_RUNTIME."""

from __future__ import annotations

from flask import current_app

from blueprints.core.errors import ServiceUnavailable

from .base import Runtime

DRIVERS = ("local",)


def get_runtime() -> Runtime:
    """The configured driver, one instance per app."""
    runtime = current_app.extensions.get("sparki_runtime")
    if runtime is not None:
        return runtime
    name = current_app.config.get("SPARKI_RUNTIME", "local")
    if name == "local":
        from .local import LocalRuntime

        runtime = LocalRuntime()
    elif name == "kubernetes":
        raise ServiceUnavailable(
            "SPARKI_RUNTIME=kubernetes is not available in this build; use 'local'",
            details={"runtime": name, "supported": list(DRIVERS)},
        )
    else:
        raise ServiceUnavailable(
            f"Unknown runtime '{name}' (SPARKI_RUNTIME)",
            details={"runtime": name, "supported": list(DRIVERS)},
        )
    current_app.extensions["sparki_runtime"] = runtime
    return runtime
