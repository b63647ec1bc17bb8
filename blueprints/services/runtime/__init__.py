"""Runtime drivers behind one interface; `get_runtime()` picks one from SPARKI_RUNTIME.

Drivers are looked up in a registry by name (`register_runtime`), so a new driver adds a
line here (or registers itself) instead of another branch; it brings no rules of its own:
what an observation means is decided by the services feature.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from blueprints.core.errors import ServiceUnavailable

from .base import Runtime

#: Driver name -> factory; the factory is called once per app.
DRIVERS: dict[str, Callable[[], Runtime]] = {}
#: Names users may configure that this build answers with a clear 503 (not yet available).
PLANNED: tuple[str, ...] = ()


def register_runtime(name: str, factory: Callable[[], Runtime]) -> None:
    """Make `SPARKI_RUNTIME=<name>` build its driver with `factory()`."""
    DRIVERS[name] = factory


def _local() -> Runtime:
    from .local import LocalRuntime

    return LocalRuntime()


def _kubernetes() -> Runtime:
    from .kubernetes import build

    return build()


register_runtime("local", _local)
register_runtime("kubernetes", _kubernetes)


def get_runtime() -> Runtime:
    """The configured driver, one instance per app.

    Raises ServiceUnavailable (503) for a driver this build does not have.
    """
    runtime = current_app.extensions.get("sparki_runtime")
    if runtime is not None:
        return runtime
    name = current_app.config["SPARKI_RUNTIME"]
    factory = DRIVERS.get(name)
    if factory is None:
        message = (
            f"SPARKI_RUNTIME={name} is not available in this build; use 'local'"
            if name in PLANNED
            else f"Unknown runtime '{name}' (SPARKI_RUNTIME)"
        )
        raise ServiceUnavailable(message, details={"runtime": name, "supported": list(DRIVERS)})
    runtime = current_app.extensions["sparki_runtime"] = factory()
    return runtime
