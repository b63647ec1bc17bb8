"""Page-or-partial rendering: a full page for a normal request, the partial for htmx."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import render_template

from .extensions import htmx
from .types import Actor, Org


def wants_partial() -> bool:
    """True for an htmx request that swaps a part of the page.

    A history restore (htmx re-fetching a URL it has no snapshot of, after Back) needs the
    whole page even if it says HX-Request, so it is not one.
    """
    return bool(htmx) and not htmx.history_restore_request


def render(template: str, partial: str | None = None, /, **context: Any) -> str:
    """Render `partial` alone when htmx asked (and a partial is given), else `template`."""
    if partial and wants_partial():
        return render_template(partial, **context)
    return render_template(template, **context)


def register_partial_caching(app: Any) -> None:
    """A page and its partial share one URL, so no cache may hand one out for the other.

    Every HTML response varies on `HX-Request`, and a partial is never stored at all: after
    Back, a browser would otherwise show the cached fragment without layout or styles.
    """
    from flask import request

    @app.after_request
    def _vary_on_htmx(response: Any) -> Any:
        if request.path.startswith(("/api/", "/static/")):
            return response
        response.vary.add("HX-Request")
        if request.headers.get("HX-Request") == "true":
            response.headers["Cache-Control"] = "no-store"
        return response


def triggered(body: Any, event: str, status: int = 200) -> Any:
    """A response (rendered partial or empty body) that also fires `event` in the browser.

    `HX-Trigger` makes htmx dispatch `event` on the page, so other parts listening with
    `hx-trigger="<event> from:body"` refresh themselves (htmx docs, "Response Headers").
    """
    from flask import make_response

    response = make_response(body, status)
    response.headers["HX-Trigger"] = event
    return response


def hx_redirect_or(location: str, fallback: Any) -> Any:
    """For htmx, tell the browser to navigate (HX-Redirect); else return `fallback`."""
    if htmx:
        from flask import make_response

        resp = make_response("", 204)
        resp.headers["HX-Redirect"] = location
        return resp
    return fallback


def page_actor() -> tuple[Org, Actor]:
    """(organization, user) of the logged-in browser user: what domain functions take."""
    from flask_login import current_user

    user = current_user._get_current_object()
    return user.organization, user


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def page_message(form: Any, message: str) -> str:
    """`message` with the API's camelCase field names ("activeServiceLimit") replaced by
    the labels the page shows for them ("Active service limit")."""
    for name, field in getattr(form, "_fields", {}).items():
        camel = _camel(name)
        if camel != name and camel in message:
            message = re.sub(rf"\b{camel}\b", field.label.text, message)
    return message


def apply_domain_error(form: Any, exc: Any) -> None:
    """Show a DomainError on the form field it names (else as a form-level error), in the
    page's words (`page_message`)."""
    message = page_message(form, exc.message)
    field = getattr(exc, "field", None) or ""
    # "repository.url" → repository_url, else the last segment ("limits.maxServices" → maxServices)
    candidates = [field.replace(".", "_"), field.split(".")[-1]] if field else []
    target = next(
        (getattr(form, n) for n in candidates if hasattr(getattr(form, n, None), "errors")), None
    )
    if target is not None:
        target.errors = [*list(target.errors), message]
    else:
        form.form_errors.append(message)


def add_nav(
    app: Any,
    label: str,
    endpoint: str,
    order: int,
    *,
    admin_only: bool = False,
    module: str | None = None,
) -> None:
    """Put a link in the dashboard navigation (features call this from `register`)."""
    nav = app.extensions.setdefault("sparki_nav", [])
    nav.append(
        {
            "label": label,
            "endpoint": endpoint,
            "order": order,
            "admin_only": admin_only,
            "module": module,
        }
    )
    nav.sort(key=lambda item: item["order"])


@dataclass(frozen=True)
class HomeCard:
    """A feature's card on the home page: `template` rendered with `context(org, actor)`.

    `context` returns the template's variables (a dict); cards show in ascending `order`.
    """

    template: str
    context: Callable[[Org, Actor], dict[str, Any]]
    order: int


def add_home_card(
    app: Any, template: str, context: Callable[[Org, Actor], dict[str, Any]], order: int
) -> None:
    """Put a card on the home page (features call this from `register`), once per template."""
    cards: list[HomeCard] = app.extensions.setdefault("sparki_home_cards", [])
    if any(card.template == template for card in cards):
        return
    cards.append(HomeCard(template, context, order))
    cards.sort(key=lambda card: card.order)


def home_cards(app: Any) -> tuple[HomeCard, ...]:
    """The home cards declared on `app`, in display order."""
    return tuple(app.extensions.get("sparki_home_cards", ()))


def register_template_helpers(app: Any) -> None:
    """`config_nav()` in templates: the navigation the current user may see."""
    from flask_login import current_user

    def config_nav() -> list[dict[str, Any]]:
        items = app.extensions.get("sparki_nav", [])
        if not current_user.is_authenticated:
            return []
        modules = current_user.organization.modules or {}
        return [
            i
            for i in items
            if (not i["admin_only"] or current_user.is_admin)
            and (not i["module"] or modules.get(i["module"]))
        ]

    app.jinja_env.globals["config_nav"] = config_nav
    # Pages may embed another feature's partial only when that feature is installed.
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
