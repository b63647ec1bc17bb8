"""The users feature's commands: `sparki create-admin`, and the first admin on `sparki up`."""

from __future__ import annotations

import click

from blueprints.core.errors import DomainError


@click.command("create-admin")
@click.option("--org", "org_name", required=True, help="Organization name (created if missing).")
@click.option("--email", required=True, help="The admin's email address.")
@click.option("--password", required=True, help="The admin's password (at least 8 characters).")
@click.option("--name", default="Administrator", show_default=True, help="Display name.")
def create_admin_command(org_name: str, email: str, password: str, name: str) -> None:
    """Create ORG if it does not exist and an admin user in it; print the user id."""
    from .domain import create_admin

    try:
        user = create_admin(org_name=org_name, email=email, password=password, name=name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(user.id)


def admin_from_config_on_up() -> str | None:
    """`sparki up` hook: create the admin SPARKI_ADMIN_* name when no user exists yet."""
    from .domain import ensure_admin_from_config

    created = ensure_admin_from_config()
    return f"created admin {created.email} ({created.id})" if created else None
