"""A team per test: one user of each role plus a plain target user, in one organization."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from blueprints.core.auth import ROLES
from tests.core.helpers import bulk_users


@dataclass
class Team:
    org: str
    ids: dict[str, str]  # role -> user id; "target" is a second viewer to act upon

    def __getitem__(self, role: str) -> str:
        return self.ids[role]


def make_team(factory) -> Team:
    org = factory.org()
    ids = {}
    for role in (*ROLES, "target"):
        roles = ["viewer" if role == "target" else role]
        ids[role] = bulk_users(factory.app, org, 1, roles=roles)[0]
    return Team(org, ids)


@pytest.fixture
def team(factory) -> Team:
    return make_team(factory)


@pytest.fixture
def other_team(factory) -> Team:
    return make_team(factory)
