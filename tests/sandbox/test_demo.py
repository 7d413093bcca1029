import pytest
from django.core.management import call_command

from courses.demo import demo_offerings
from sandbox.exchange import selectors
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.models import Account, Wallet

pytestmark = pytest.mark.django_db


def test_demo_seed_lists_markets_with_depth_and_funds_every_student(capsys):
    call_command("seed_demo")

    for offering in demo_offerings():
        markets = list(selectors.markets(offering_id=offering.pk))
        assert {m.symbol for m in markets} == {"BTCKRW", "ETHKRW", "KUSDKRW"}
        for market in markets:
            book = selectors.depth(market)
            assert len(book["bids"]) == 5 and len(book["asks"]) == 5
            assert book["bids"][0][0] < book["asks"][0][0]
        assert (
            Wallet.objects.filter(offering=offering, owner__username__startswith="student").count()
            == 10
        )
    assert Account.objects.get(owner__username="student01", asset_id="KRW").available > 0
    assert find_ledger_breaks() == []


def test_demo_seed_twice_places_no_second_set_of_house_quotes(capsys):
    call_command("seed_demo")
    market = selectors.markets(offering_id=demo_offerings()[0].pk).first()
    before = selectors.depth(market)

    call_command("seed_demo")

    assert selectors.depth(market) == before
