"""The client's resources, one per area of the API."""

from .audit import AuditLog
from .crm import Customers, Orders
from .infrastructure import Infrastructure
from .projects import Projects
from .schedules import Schedules, Sources, Tasks, Workflows
from .services import Deployments, Services
from .users import ApiKeys, Auth, OrganizationResource, Users
from .webhooks import Events, Webhooks

__all__ = [
    "ApiKeys",
    "Auth",
    "Customers",
    "Deployments",
    "AuditLog",
    "Events",
    "Infrastructure",
    "Orders",
    "OrganizationResource",
    "Projects",
    "Schedules",
    "Services",
    "Sources",
    "Tasks",
    "Users",
    "Webhooks",
    "Workflows",
]
