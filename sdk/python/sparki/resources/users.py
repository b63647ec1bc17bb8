"""Sign-in, users, API keys and the organization."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..models import (
    ApiKey,
    ApiKeyCreated,
    LogoutEverywhere,
    Organization,
    PasswordChanged,
    SessionList,
    Success,
    Token,
    User,
)
from ..pagination import Page
from ._base import Resource, body, query


class Auth(Resource):
    """`/auth`: bearer tokens (valid `expires_in` seconds, 3600 by default)."""

    def login(self, email: str, password: str) -> Token:
        """Exchange an email and password for a bearer token, and use it from now on.

        Args:
            email: the user's email address.
            password: the user's password.

        Returns:
            `Token` with `token`, `token_type` and `expires_in` (seconds).

        Raises:
            AuthenticationError: wrong email or password, or a deactivated user.
            RateLimitError: too many attempts.
        """
        token = self._call("POST", "/auth/login", Token, json=body(email=email, password=password))
        self._client._transport.token = token.token
        return token

    def refresh(self) -> Token:
        """A new bearer token for the current one (which stays valid until it expires); the
        client uses the new one from now on.

        Returns:
            `Token`.

        Raises:
            AuthenticationError: the client has no token, or it expired or was revoked.
        """
        token = self._call("POST", "/auth/refresh", Token)
        self._client._transport.token = token.token
        return token

    def logout(self) -> Success:
        """End the current browser session (`POST /auth/logout`).

        Bearer tokens end by expiry or with `logout_everywhere()`, API keys by revoking
        them: for those the server answers 400.

        Returns:
            `Success`.

        Raises:
            InvalidRequestError: the credentials are a token or a key, not a session.
            AuthenticationError: no valid credentials.
        """
        return self._call("POST", "/auth/logout", Success)

    def logout_everywhere(self) -> LogoutEverywhere:
        """End every session and token of the current user (API keys stay).

        Returns:
            `LogoutEverywhere` with `sessions_ended`.

        Raises:
            AuthenticationError: no valid credentials.
        """
        return self._call("POST", "/auth/logout-everywhere", LogoutEverywhere)


class Users(Resource):
    """`/users`: the organization's users (admins manage them; everyone reads `me`)."""

    def list(
        self,
        *,
        role: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[User]:
        """The organization's users, newest first.

        Args:
            role: only users with this role (`admin`, `maintainer`, `developer`, `viewer`).
            page: page number, from 1. limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page.

        Returns:
            `Page[User]`; iterate it to walk every page.

        Raises:
            ValidationError: a bad filter or page value; AuthenticationError.
        """
        return self._list("/users", User, query(role=role, page=page, limit=limit, cursor=cursor))

    def create(
        self, *, email: str, name: str, password: str, roles: Optional[List[str]] = None
    ) -> User:
        """Create a user in the caller's organization (admins only).

        Args:
            email: unique email address. name: display name.
            password: the initial password. roles: e.g. `["developer"]`.

        Returns:
            The new `User`.

        Raises:
            ConflictError: the email is taken. ValidationError. PermissionError.
        """
        return self._call(
            "POST",
            "/users",
            User,
            json=body(email=email, name=name, password=password, roles=roles),
        )

    def get(self, user_id: str) -> User:
        """One user by id (`user-…`).

        Args:
            user_id: the user's id (`user-…`).

        Returns:
            `User`.

        Raises:
            NotFoundError: no such user in the organization.
        """
        return self._call("GET", f"/users/{user_id}", User)

    retrieve = get

    def update(
        self,
        user_id: str,
        *,
        email: Optional[str] = None,
        name: Optional[str] = None,
        password: Optional[str] = None,
        roles: Optional[List[str]] = None,
        active: Optional[bool] = None,
    ) -> User:
        """Change a user's fields (only those given; admins only).

        Args:
            user_id: the user's id (`user-…`).
            email, name, password, roles, active: the fields to change, as for `create()`;
                those left None are not sent.

        Returns:
            The updated `User`.

        Raises:
            NotFoundError, ConflictError (email taken), ValidationError, PermissionError.
        """
        fields = body(email=email, name=name, password=password, roles=roles, active=active)
        return self._call("PATCH", f"/users/{user_id}", User, json=fields)

    def delete(self, user_id: str) -> Success:
        """Delete a user (admins only).

        Args:
            user_id: the user's id (`user-…`).

        Returns:
            `Success`.

        Raises:
            NotFoundError, PermissionError, ConflictError (the last admin).
        """
        return self._call("DELETE", f"/users/{user_id}", Success)

    def me(self) -> User:
        """The user the credentials act as.

        Returns:
            `User`.

        Raises:
            AuthenticationError.
        """
        return self._call("GET", "/users/me", User)

    def sessions(self) -> SessionList:
        """The current user's browser sessions and tokens.

        Returns:
            `SessionList` whose `data` is a list of `Session`.

        Raises:
            AuthenticationError.
        """
        return self._call("GET", "/users/me/sessions", SessionList)

    def end_session(self, session_id: str) -> Success:
        """End one of the current user's sessions.

        Args:
            session_id: the session's id (from `sessions()`).

        Returns:
            `Success`.

        Raises:
            NotFoundError: no such session of this user.
        """
        return self._call("DELETE", f"/users/me/sessions/{session_id}", Success)

    def change_password(self, *, current_password: str, new_password: str) -> PasswordChanged:
        """Change the current user's password; every other session and token ends, and a
        bearer-token client switches to the fresh token returned.

        Args:
            current_password: the user's password now.
            new_password: the password to set.

        Returns:
            `PasswordChanged` with a new `token` and `expires_in` (seconds).

        Raises:
            ValidationError (wrong current password, weak new one), AuthenticationError.
        """
        result = self._call(
            "POST",
            "/users/me/password",
            PasswordChanged,
            json=body(current_password=current_password, new_password=new_password),
        )
        if self._client._transport.token and result.token:
            self._client._transport.token = result.token
        return result


class ApiKeys(Resource):
    """`/api-keys`: API keys, shown in full once at creation."""

    def list(
        self,
        *,
        all: Optional[bool] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[ApiKey]:
        """The caller's API keys (every user's with `all=True`, for admins), by prefix.

        Args:
            all: every user's keys, not only the caller's (admins only).
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).

        Returns:
            `Page[ApiKey]`.

        Raises:
            PermissionError (`all` as a non-admin), ValidationError.
        """
        params = query(all=all, page=page, limit=limit, cursor=cursor)
        return self._list("/api-keys", ApiKey, params)

    def create(self, *, name: str, user_id: Optional[str] = None) -> ApiKeyCreated:
        """Create an API key (for another user: admins only).

        Args:
            name: a label. user_id: the owner (default the caller).

        Returns:
            `ApiKeyCreated`, whose `key` (`sk_…`) is shown this once.

        Raises:
            ValidationError, PermissionError, NotFoundError (no such user).
        """
        return self._call("POST", "/api-keys", ApiKeyCreated, json=body(name=name, user_id=user_id))

    def get(self, key_id: str) -> ApiKey:
        """One API key by id.

        Args:
            key_id: the API key's id.

        Returns:
            `ApiKey` (never the key itself).

        Raises:
            NotFoundError.
        """
        return self._call("GET", f"/api-keys/{key_id}", ApiKey)

    def delete(self, key_id: str) -> Success:
        """Revoke an API key; it fails authentication from now on.

        Args:
            key_id: the API key's id.

        Returns:
            `Success`.

        Raises:
            NotFoundError, PermissionError.
        """
        return self._call("DELETE", f"/api-keys/{key_id}", Success)

    revoke = delete


class OrganizationResource(Resource):
    """`/organization`: the caller's organization, its modules and limits."""

    def get(self) -> Organization:
        """The organization: slug, name, `modules` (`crm`, `schedules` on or off), `limits`.

        Returns:
            `Organization`.

        Raises:
            AuthenticationError.
        """
        return self._call("GET", "/organization", Organization)

    def update(
        self,
        *,
        name: Optional[str] = None,
        modules: Optional[Dict[str, bool]] = None,
        limits: Optional[Dict[str, Any]] = None,
    ) -> Organization:
        """Change the organization (admins only).

        Args:
            name: the display name.
            modules: e.g. `{"crm": True}`.
            limits: camelCase keys, e.g. `{"maxServices": 20, "activeServiceLimit": 10}`.

        Returns:
            The updated `Organization`.

        Raises:
            PermissionError, ValidationError.
        """
        fields = body(name=name, modules=modules, limits=limits)
        return self._call("PATCH", "/organization", Organization, json=fields)
