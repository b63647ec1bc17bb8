"""The kernel's view of a tenant and of who acts: what every domain function takes.

Domain functions are typed `(org: Org, actor: Actor, ...)`. The concrete classes live in
the users feature (`Organization`, `User`); the kernel names only the attributes it and
the features rely on, so core depends on no feature.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Org(Protocol):
    """A tenant: every row of every feature belongs to one (`org_id`)."""

    id: str
    name: str
    modules: dict[str, bool]  # module name -> on/off (API.md "Modules")
    limits: dict[str, Any]  # limit name (camelCase) -> value


@runtime_checkable
class Actor(Protocol):
    """A user acting on `org`: roles decide what they may do (core.auth.require_role)."""

    id: str
    org_id: str
    email: str
    roles: list[str]
    credentials_epoch: int  # sessions and tokens from an earlier epoch are refused

    @property
    def is_admin(self) -> bool: ...
