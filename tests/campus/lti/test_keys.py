"""The tool's keys: published at /lti/jwks/, encrypted at rest, rotated with a grace period."""

from datetime import timedelta

from django.utils import timezone

from campus.lti.keys import current_signing_key, rotate_tool_key
from campus.lti.models import ToolKey


def kids(client) -> list[str]:
    return [key["kid"] for key in client.get("/lti/jwks/").json()["keys"]]


def test_jwks_publishes_a_public_rs256_key(client, db):
    keys = client.get("/lti/jwks/").json()["keys"]

    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert "d" not in keys[0]  # no private exponent


def test_private_key_is_encrypted_at_rest(db):
    key = current_signing_key()

    assert "PRIVATE KEY" in key.private_pem
    assert "PRIVATE KEY" not in ToolKey.objects.get(kid=key.kid).private_key


def test_rotation_makes_a_new_current_key_and_keeps_the_old_one_published(client, db):
    old = current_signing_key().kid

    new = rotate_tool_key().kid

    assert current_signing_key().kid == new
    assert kids(client) == [new, old]


def test_old_key_leaves_the_jwks_after_the_grace_period(client, db, settings):
    old = current_signing_key().kid
    new = rotate_tool_key().kid
    past_grace = timezone.now() - timedelta(seconds=settings.LTI_KEY_GRACE_SECONDS + 1)
    ToolKey.objects.filter(kid=old).update(retired_at=past_grace)

    assert kids(client) == [new]


def test_rotate_command_rotates(db, capsys):
    from django.core.management import call_command

    old = current_signing_key().kid

    call_command("lti_rotate_key")

    assert current_signing_key().kid != old
    assert "New current LTI key" in capsys.readouterr().out
