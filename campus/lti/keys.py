"""The tool's own RSA keys: created on first use, published at /lti/jwks/, rotated by an admin
action or `manage.py lti_rotate_key`.

Rotation makes a new key current at once and keeps the old one published for
`LTI_KEY_GRACE_SECONDS`, so a platform that fetched our key set before the rotation, or is still
verifying a deep-linking response or token assertion signed just before it, keeps succeeding.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from campus.crypto import decrypt_text, encrypt_text
from campus.lti.models import ToolKey

PURPOSE = "lti.tool_key"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str


def current_signing_key() -> SigningKey:
    """The key to sign with now; one is made if the tool has none yet."""
    key = ToolKey.objects.filter(is_current=True).first() or _create_first_key()
    return SigningKey(kid=key.kid, private_pem=decrypt_text(key.private_key, purpose=PURPOSE))


def published_jwks() -> dict:
    """The public keys platforms may verify us with: the current one and those retired within
    the grace period."""
    current_signing_key()  # so the set is never empty
    since = timezone.now() - timedelta(seconds=settings.LTI_KEY_GRACE_SECONDS)
    keys = ToolKey.objects.filter(is_current=True) | ToolKey.objects.filter(retired_at__gte=since)
    return {"keys": [key.public_jwk for key in keys.order_by("-created_at")]}


def rotate_tool_key() -> ToolKey:
    """Make a new current key; the previous one stays published for the grace period."""
    with transaction.atomic(durable=True):
        previous = list(ToolKey.objects.select_for_update().filter(is_current=True))
        ToolKey.objects.filter(pk__in=[k.pk for k in previous]).update(
            is_current=False, retired_at=timezone.now()
        )
        return _new_key()


def _create_first_key() -> ToolKey:
    try:
        with transaction.atomic():
            return _new_key()
    except IntegrityError:  # another process made it first
        return ToolKey.objects.get(is_current=True)


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = uuid.uuid4().hex
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey.objects.create(
        kid=kid, private_key=encrypt_text(pem, purpose=PURPOSE), public_jwk=jwk
    )
