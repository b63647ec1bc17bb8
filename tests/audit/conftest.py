"""Fixtures borrowed from the features the audit trail follows: the services setup (an
organization with a project) and the webhooks receiver and in-process worker."""

from tests.services.conftest import setup  # noqa: F401
from tests.webhooks.conftest import receiver, work  # noqa: F401
