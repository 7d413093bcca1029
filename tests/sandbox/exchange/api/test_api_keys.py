"""Creating and revoking API keys, and the create_api_key command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campus.errors import ServiceError
from sandbox.exchange.apikeys import create_api_key, revoke_api_key
from sandbox.exchange.models import ApiKey
from sandbox.wallet.models import Account, Wallet
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_command_prints_the_key_and_secret_as_json(assets):
    enrollment = EnrollmentFactory(user=UserFactory(username="dana"))
    out = StringIO()

    call_command(
        "create_api_key", "dana", "--offering", enrollment.offering.slug, "--json", stdout=out
    )

    printed = json.loads(out.getvalue())
    stored = ApiKey.objects.get()
    assert printed["apiKey"] == stored.key
    assert len(printed["secretKey"]) == 64
    assert stored.offering_id == enrollment.offering_id


def test_creating_a_key_opens_and_funds_the_wallet(assets):
    enrollment = EnrollmentFactory()

    create_api_key(user_id=enrollment.user_id, offering_id=enrollment.offering_id, label="bot")

    assert Wallet.objects.filter(owner=enrollment.user, offering=enrollment.offering).exists()
    krw = Account.objects.get(owner=enrollment.user, offering=enrollment.offering, asset_id="KRW")
    assert krw.available > 0


def test_only_enrolled_people_get_keys(assets):
    user, offering = UserFactory(), OfferingFactory()

    with pytest.raises(ServiceError) as refused:
        create_api_key(user_id=user.pk, offering_id=offering.pk)

    assert refused.value.code == "not_enrolled"
    assert not ApiKey.objects.exists()


def test_command_refuses_an_unknown_offering(assets):
    UserFactory(username="erin")

    with pytest.raises(CommandError, match="No offering"):
        call_command("create_api_key", "erin", "--offering", "nope")


def test_nobody_revokes_someone_elses_key(assets):
    enrollment = EnrollmentFactory()
    api_key, _secret = create_api_key(
        user_id=enrollment.user_id, offering_id=enrollment.offering_id
    )

    with pytest.raises(ServiceError):
        revoke_api_key(user_id=UserFactory().pk, key_id=api_key.pk)

    assert ApiKey.objects.get().revoked_at is None


def test_command_without_json_says_the_secret_is_shown_once(assets):
    enrollment = EnrollmentFactory(user=UserFactory(username="fay"))
    out = StringIO()

    call_command("create_api_key", "fay", "--offering", enrollment.offering.slug, stdout=out)

    assert ApiKey.objects.get().key in out.getvalue()
    assert "cannot be shown again" in out.getvalue()
