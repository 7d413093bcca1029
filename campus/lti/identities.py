"""People arriving from a platform: found by (registration, sub), created on their first launch.

An e-mail address from the platform is stored on a new account for display but never used to
find one: two platforms may vouch for the same address, and an LMS admin can set any address on
any LMS account, so matching on it would let one take over another's campus account. Accounts
made here have no usable password; the person signs in through their LMS.
"""

import hashlib

from django.db import IntegrityError, transaction

from campus.lti.models import LtiIdentity, Registration
from campus.models import User


def user_for(*, registration: Registration, claims: dict) -> User:
    """The campus user for the token's `sub`, created (with its identity) if new. Call inside a
    transaction."""
    sub = claims["sub"]
    identity = (
        LtiIdentity.objects.select_related("user")
        .filter(registration=registration, sub=sub)
        .first()
    )
    if identity is not None:
        return identity.user
    try:
        with transaction.atomic():
            user = _new_user(registration, claims)
            LtiIdentity.objects.create(registration=registration, sub=sub, user=user)
            return user
    except IntegrityError:  # the same person's concurrent first launch won
        return LtiIdentity.objects.get(registration=registration, sub=sub).user


def _new_user(registration: Registration, claims: dict) -> User:
    digest = hashlib.sha256(f"{registration.pk}:{claims['sub']}".encode()).hexdigest()[:16]
    user = User(
        username=f"lti-{digest}",
        first_name=str(claims.get("given_name", ""))[:150],
        last_name=str(claims.get("family_name", ""))[:150],
        display_name=str(claims.get("name", ""))[:150],
        email=str(claims.get("email", ""))[:254],
    )
    user.set_unusable_password()
    user.save()
    return user
