"""What other apps may use of campus (OEP-49 style boundary)."""

from campus.demo import SeedContext
from campus.errors import ServiceError
from campus.models import Membership, University, User
from campus.services import ensure_membership, grant_membership

__all__ = [
    "Membership",
    "SeedContext",
    "ServiceError",
    "University",
    "User",
    "ensure_membership",
    "grant_membership",
]
