"""Who may deploy where: the rule the services feature relies on."""

from __future__ import annotations

import pytest

from blueprints.core.errors import PermissionDenied
from blueprints.core.extensions import db
from blueprints.projects import domain
from blueprints.users.models import Organization, User


@pytest.mark.parametrize(
    "roles,project_role,allowed",
    [
        (["admin"], None, True),
        (["maintainer"], None, True),
        (["developer"], "contributor", True),
        (["developer"], "owner", True),
        (["developer"], "viewer", False),
        (["developer"], None, False),
        (["viewer"], "owner", False),
    ],
)
def test_require_deploy_rights(app, factory, roles, project_role, allowed):
    org_id = factory.org()
    admin_id = factory.user(org_id, roles=["admin"])
    uid = factory.user(org_id, roles=roles)
    with app.app_context():
        org = db.session.get(Organization, org_id)
        admin = db.session.get(User, admin_id)
        user = db.session.get(User, uid)
        project = domain.create_project(org, admin, name="p")
        if project_role:
            domain.add_member(org, admin, project.id, user_id=uid, role=project_role)
        if allowed:
            domain.require_deploy_rights(project, user)
        else:
            with pytest.raises(PermissionDenied):
                domain.require_deploy_rights(project, user)
