"""Projects and their members."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..models import Member, Project, Success
from ..pagination import Page
from ._base import Resource, body, query


class Projects(Resource):
    """`/projects`: projects, their repository, CI settings and members."""

    def list(
        self,
        *,
        status: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Project]:
        """The organization's projects, newest first.

        Args:
            status: `active` or `archived`.
            page: page number, from 1. limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page.

        Returns:
            `Page[Project]`; iterate it to walk every page.

        Raises:
            ValidationError: a bad filter or page value.
        """
        params = query(status=status, page=page, limit=limit, cursor=cursor)
        return self._list("/projects", Project, params)

    def create(
        self,
        *,
        name: str,
        description: Optional[str] = None,
        visibility: Optional[str] = None,
        owner_id: Optional[str] = None,
        repository: Optional[Dict[str, Any]] = None,
        ci: Optional[Dict[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Project:
        """Create a project (maintainers and admins).

        Args:
            name: unique in the organization. description: free text.
            visibility: `private` or `internal`. owner_id: a user id (default the caller).
            repository: `{"url": …, "branch": …}`. ci: `{"enabled": bool, "provider": …}`.
            idempotency_key: replay key (the SDK makes one when not given).

        Returns:
            The new `Project`.

        Raises:
            ConflictError (name taken), ValidationError, PermissionError.
        """
        fields = body(
            name=name,
            description=description,
            visibility=visibility,
            owner_id=owner_id,
            repository=repository,
            ci=ci,
        )
        return self._call(
            "POST", "/projects", Project, json=fields, idempotency_key=idempotency_key
        )

    def get(self, project_id: str) -> Project:
        """One project (`proj-…`) with its owner and members.

        Args:
            project_id: the project's id (`proj-…`).

        Returns:
            `Project`.

        Raises:
            NotFoundError.
        """
        return self._call("GET", f"/projects/{project_id}", Project)

    retrieve = get

    def update(
        self,
        project_id: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        visibility: Optional[str] = None,
        owner_id: Optional[str] = None,
        status: Optional[str] = None,
        repository: Optional[Dict[str, Any]] = None,
        ci: Optional[Dict[str, Any]] = None,
    ) -> Project:
        """Change a project's fields (only those given).

        Args:
            project_id: the project's id (`proj-…`).
            name, description, visibility, owner_id, status, repository, ci: the fields to change,
                as for `create()`; those left None are not sent.

        Returns:
            The updated `Project`.

        Raises:
            NotFoundError, ConflictError, ValidationError, PermissionError.
        """
        fields = body(
            name=name,
            description=description,
            visibility=visibility,
            owner_id=owner_id,
            status=status,
            repository=repository,
            ci=ci,
        )
        return self._call("PATCH", f"/projects/{project_id}", Project, json=fields)

    def delete(self, project_id: str) -> Success:
        """Archive a project (`status: archived`).

        Args:
            project_id: the project's id (`proj-…`).

        Returns:
            `Success`.

        Raises:
            NotFoundError, PermissionError, ConflictError.
        """
        return self._call("DELETE", f"/projects/{project_id}", Success)

    archive = delete

    def add_member(self, project_id: str, *, user_id: str, role: Optional[str] = None) -> Member:
        """Add a user to a project, or change their role there.

        Args:
            project_id: the project's id (`proj-…`).
            user_id: the user (`user-…`). role: e.g. `contributor` or `viewer`.

        Returns:
            The `Member`.

        Raises:
            NotFoundError (project or user), ValidationError, PermissionError.
        """
        fields = body(user_id=user_id, role=role)
        return self._call("POST", f"/projects/{project_id}/members", Member, json=fields)

    def remove_member(self, project_id: str, user_id: str) -> Success:
        """Remove a user from a project.

        Args:
            project_id: the project's id (`proj-…`).
            user_id: the user's id (`user-…`).

        Returns:
            `Success`.

        Raises:
            NotFoundError, PermissionError.
        """
        return self._call("DELETE", f"/projects/{project_id}/members/{user_id}", Success)
