"""The trading page: placing, refusing and cancelling orders through the portal's form."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from sandbox.exchange import views
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Order
from sandbox.exchange.services import cancel_order, place_order
from sandbox.wallet.models import Account, Posting, Wallet
from tests.factories import EnrollmentFactory, MembershipFactory, OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(exchange):
    """Given alice and bob enrolled as students in the exchange's offering."""
    for user in (exchange.alice, exchange.bob):
        EnrollmentFactory(offering=exchange.offering, user=user)
    return exchange.btc


@pytest.fixture
def alice_client(client, exchange, market):
    client.force_login(exchange.alice)
    return client


def trade_url(exchange, symbol="BTCKRW"):
    return reverse("sandbox-trade", args=[exchange.offering.slug, symbol])


def limit_form(side="BUY", price="100000000", quantity="0.01", **extra):
    return {
        "side": side,
        "type": "LIMIT",
        "time_in_force": "GTC",
        "price": price,
        "quantity": quantity,
        **extra,
    }


def krw(exchange, user):
    account = Account.objects.get(owner=user, asset_id="KRW", offering=exchange.offering)
    return account.available, account.locked


def test_limit_order_placed_through_the_form_rests_in_open_orders_with_funds_locked(
    alice_client, exchange
):
    response = alice_client.post(trade_url(exchange), limit_form(), follow=True)

    order = Order.objects.get(owner=exchange.alice)
    assert (order.status, order.price, order.orig_qty) == ("NEW", D("100000000"), D("0.01"))
    assert krw(exchange, exchange.alice) == (D("9000000"), D("1000000"))
    open_orders = response.context["open_orders"]
    assert [row.id for row in open_orders] == [order.pk]
    assert open_orders[0].locked == "1,000,000 KRW"
    assert f"order #{order.pk} placed: Open." in response.content.decode()


def test_price_off_the_tick_is_refused_with_the_filter_and_allowed_values_and_creates_nothing(
    alice_client, exchange
):
    postings = Posting.objects.count()

    response = alice_client.post(trade_url(exchange), limit_form(price="100000500"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Filter failure: PRICE_FILTER" in page
    assert "in steps of 1000" in page  # the exchange's detail
    assert "a whole number of ticks of 1,000 KRW" in page  # our explanation
    assert 'aria-invalid="true"' in page and 'name="price"' in page
    assert not Order.objects.exists()
    assert Posting.objects.count() == postings
    assert krw(exchange, exchange.alice) == (D("10000000"), 0)


def test_a_refused_order_keeps_what_the_student_typed(alice_client, exchange):
    response = alice_client.post(trade_url(exchange), limit_form(quantity="0.000015"))

    form = response.context["form"]
    assert response.context["refusal"].field == "quantity"
    assert form["quantity"].value() == "0.000015"
    assert form["price"].value() == "100000000"
    assert "LOT_SIZE" in response.content.decode()


def test_insufficient_balance_is_explained_with_what_locks_funds(alice_client, exchange):
    response = alice_client.post(trade_url(exchange), limit_form(quantity="1"))

    page = response.content.decode()
    assert response.status_code == 400
    assert "Account has insufficient balance for requested action." in page
    assert "Funds locked by your open orders are not available" in page
    assert not Order.objects.exists()


def test_market_order_fills_against_the_book_and_says_filled(alice_client, exchange):
    place_order(
        owner_id=exchange.bob.pk,
        market=exchange.btc,
        request=OrderRequest(
            side="SELL", type="LIMIT", time_in_force="GTC", price=D("100000000"), quantity=D("0.01")
        ),
    )

    response = alice_client.post(
        trade_url(exchange),
        # a web form sends every field: the price and time in force a market order ignores too
        {"side": "BUY", "type": "MARKET", "quantity": "0.01", "price": "1", "time_in_force": "GTC"},
        follow=True,
    )

    order = Order.objects.get(owner=exchange.alice)
    assert order.status == "FILLED"
    assert "placed: Filled. It traded in full." in response.content.decode()
    assert "Traded 0.01 BTC for 1,000,000 KRW." in response.content.decode()


def test_sending_the_same_form_twice_places_one_order(alice_client, exchange):
    data = limit_form(client_order_id="web-same-form-twice")

    alice_client.post(trade_url(exchange), data)
    second = alice_client.post(trade_url(exchange), data)

    assert Order.objects.count() == 1
    assert second.status_code == 400
    assert "Duplicate order sent." in second.content.decode()


def test_cancel_button_cancels_the_order_and_unlocks_its_funds(alice_client, exchange):
    alice_client.post(trade_url(exchange), limit_form())
    order = Order.objects.get()

    response = alice_client.post(
        reverse("sandbox-cancel-order", args=[exchange.offering.slug, "BTCKRW", order.pk]),
        follow=True,
    )

    order.refresh_from_db()
    assert order.status == "CANCELED"
    assert krw(exchange, exchange.alice) == (D("10000000"), 0)
    assert response.context["open_orders"] == []
    assert f"Order #{order.pk} cancelled" in response.content.decode()


def test_a_student_cannot_cancel_someone_elses_order(client, exchange, market):
    place_order(
        owner_id=exchange.bob.pk,
        market=market,
        request=OrderRequest(
            side="BUY", type="LIMIT", time_in_force="GTC", price=D("100000000"), quantity=D("0.01")
        ),
    )
    order = Order.objects.get()
    client.force_login(exchange.alice)

    client.post(reverse("sandbox-cancel-order", args=[exchange.offering.slug, "BTCKRW", order.pk]))

    order.refresh_from_db()
    assert order.status == "NEW"


def test_cancel_all_cancels_every_open_order_in_the_market(alice_client, exchange):
    alice_client.post(trade_url(exchange), limit_form(price="100000000"))
    alice_client.post(trade_url(exchange), limit_form(price="99000000"))

    response = alice_client.post(
        reverse("sandbox-cancel-open-orders", args=[exchange.offering.slug, "BTCKRW"]), follow=True
    )

    assert set(Order.objects.values_list("status", flat=True)) == {"CANCELED"}
    assert krw(exchange, exchange.alice) == (D("10000000"), 0)
    assert "2 orders cancelled" in response.content.decode()


def test_a_student_of_another_offering_gets_404(client, exchange, market):
    outsider = UserFactory()
    EnrollmentFactory(offering=OfferingFactory(), user=outsider)
    client.force_login(outsider)

    page = client.get(trade_url(exchange))
    post = client.post(trade_url(exchange), limit_form())

    assert (page.status_code, post.status_code) == (404, 404)
    assert not Order.objects.exists()
    assert not Wallet.objects.filter(owner=outsider).exists()


def test_an_inactive_enrolment_gets_404(client, exchange):
    EnrollmentFactory(offering=exchange.offering, user=exchange.alice, is_active=False)
    client.force_login(exchange.alice)

    assert client.get(trade_url(exchange)).status_code == 404


def test_a_university_admin_not_enrolled_gets_404(client, exchange):
    admin = UserFactory()
    MembershipFactory(user=admin, university=exchange.offering.university, role="university_admin")
    client.force_login(admin)

    assert client.get(trade_url(exchange)).status_code == 404


def test_an_unknown_market_is_404(alice_client, exchange):
    assert alice_client.get(trade_url(exchange, "DOGEKRW")).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, exchange):
    response = client.get(trade_url(exchange))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_first_visit_opens_the_students_wallet_with_the_starting_grant(client, exchange):
    carol = UserFactory()
    EnrollmentFactory(offering=exchange.offering, user=carol)
    client.force_login(carol)

    response = client.get(trade_url(exchange))

    assert Wallet.objects.filter(owner=carol, offering=exchange.offering).exists()
    assert [(b.asset, b.available) for b in response.context["balances"]] == [
        ("BTC", "0.05"),
        ("KRW", "10,000,000"),
    ]


def test_page_shows_the_book_and_recent_trades_of_the_market(alice_client, exchange):
    for price in ("100000000", "101000000"):
        place_order(
            owner_id=exchange.bob.pk,
            market=exchange.btc,
            request=OrderRequest(
                side="SELL", type="LIMIT", time_in_force="GTC", price=D(price), quantity=D("0.01")
            ),
        )
    alice_client.post(trade_url(exchange), limit_form(price="100000000", quantity="0.004"))

    response = alice_client.get(trade_url(exchange))

    book = response.context["book"]
    assert [(lvl.price, lvl.quantity) for lvl in book["asks"]] == [
        ("100,000,000", "0.006"),
        ("101,000,000", "0.01"),
    ]
    assert [(t.price, t.quantity, t.side) for t in response.context["recent_trades"]] == [
        ("100,000,000", "0.004", "BUY")
    ]
    assert response.context["last_price"] == "100,000,000"


def test_trading_page_query_count_does_not_grow_with_orders(
    alice_client, exchange, django_assert_max_num_queries
):
    for price in ("100000000", "99000000", "98000000", "97000000"):
        alice_client.post(trade_url(exchange), limit_form(price=price, quantity="0.001"))

    with django_assert_max_num_queries(13):
        alice_client.get(trade_url(exchange))


def test_trading_page_in_korean(alice_client, exchange):
    alice_client.cookies["django_language"] = "ko"

    page = alice_client.get(trade_url(exchange)).content.decode()

    assert 'lang="ko"' in page
    for korean in ("호가창", "주문하기", "미체결 주문", "틱 크기", "매수", "매도"):
        assert korean in page, korean


def test_offering_page_links_members_to_their_wallet_and_each_market(alice_client, exchange):
    response = alice_client.get(reverse("offering-detail", args=[exchange.offering.slug]))

    page = response.content.decode()
    assert reverse("sandbox-wallet", args=[exchange.offering.slug]) in page
    for symbol in ("BTCKRW", "ETHKRW", "KUSDKRW"):
        assert trade_url(exchange, symbol) in page


def test_offering_page_shows_no_sandbox_links_to_a_university_admin(client, exchange):
    admin = UserFactory()
    MembershipFactory(user=admin, university=exchange.offering.university, role="university_admin")
    client.force_login(admin)

    response = client.get(reverse("offering-detail", args=[exchange.offering.slug]))

    assert response.status_code == 200
    assert "/trade/" not in response.content.decode()


def test_order_form_explains_the_markets_filters_and_fees_in_plain_words(alice_client, exchange):
    page = alice_client.get(trade_url(exchange)).content.decode()

    assert "Prices move in steps of 1,000 KRW" in page
    assert "Quantities move in steps of 0.00001 BTC" in page
    assert "at least 5,000 KRW (price × quantity)" in page
    assert "0.05% if your order was waiting on the book (maker), 0.1%" in page
    assert "A multiple of 1,000 KRW (the tick size)" in page  # the price field's help text


# -- the status in words, the finished orders, the depth summary -------------------------------


def rest(exchange, owner, side, quantity, price):
    return place_order(
        owner_id=owner.pk,
        market=exchange.btc,
        request=OrderRequest(
            side=side, type="LIMIT", time_in_force="GTC", price=D(price), quantity=D(quantity)
        ),
    )


def test_a_partly_filled_open_order_shows_its_status_in_words_not_the_exchanges_code(
    alice_client, exchange
):
    rest(exchange, exchange.bob, "SELL", "0.01", "100000000")
    order = rest(exchange, exchange.alice, "BUY", "0.03", "100000000")

    response = alice_client.get(trade_url(exchange))

    assert order.status == "PARTIALLY_FILLED"
    assert [row.status_label for row in response.context["open_orders"]] == ["Partly filled"]
    assert 'data-field="status">Partly filled<' in response.content.decode()


def test_the_order_history_lists_finished_orders_only_newest_first_in_words(alice_client, exchange):
    filled = rest(exchange, exchange.alice, "SELL", "0.01", "100000000")
    rest(exchange, exchange.bob, "BUY", "0.01", "100000000")
    cancelled = rest(exchange, exchange.alice, "BUY", "0.01", "90000000")
    cancel_order(owner_id=exchange.alice.pk, market=exchange.btc, order_id=cancelled.pk)
    rest(exchange, exchange.alice, "BUY", "0.01", "91000000")  # still open

    history = alice_client.get(trade_url(exchange)).context["history"]

    assert [(row.id, row.status_label) for row in history] == [
        (cancelled.pk, "Cancelled"),
        (filled.pk, "Filled"),
    ]
    assert history[1].average_price == "100,000,000"


def test_open_orders_do_not_crowd_finished_ones_out_of_the_history(
    alice_client, exchange, monkeypatch
):
    monkeypatch.setattr(views, "HISTORY_ROWS", 2)
    finished = [rest(exchange, exchange.alice, "BUY", "0.001", "90000000") for _ in range(2)]
    for order in finished:
        cancel_order(owner_id=exchange.alice.pk, market=exchange.btc, order_id=order.pk)
    for _ in range(3):
        rest(exchange, exchange.alice, "BUY", "0.001", "91000000")

    history = alice_client.get(trade_url(exchange)).context["history"]

    assert [row.id for row in history] == [finished[1].pk, finished[0].pk]


def test_the_live_settings_give_the_page_every_status_in_words(alice_client, exchange):
    live = alice_client.get(trade_url(exchange)).context["live"]

    assert set(Order.Status.values) <= set(live["statuses"])
    assert live["statuses"]["PARTIALLY_FILLED"] == "Partly filled"
    assert live["statuses"]["CANCELED"] == "Cancelled"
    assert live["quotePlaces"] == 2  # KRW's places: a live average price is rounded to them


def test_the_depth_summary_names_the_best_prices_and_what_rests_within_one_percent(
    alice_client, exchange
):
    rest(exchange, exchange.bob, "BUY", "0.02", "99000000")  # 1% under the middle: counted
    rest(exchange, exchange.bob, "BUY", "0.05", "98000000")  # further: not counted
    rest(exchange, exchange.bob, "SELL", "0.01", "101000000")
    rest(exchange, exchange.bob, "SELL", "0.03", "101000000")

    summary = alice_client.get(trade_url(exchange)).context["book"]["summary"]

    assert summary == (
        "Best bid: 99,000,000 KRW; best ask: 101,000,000 KRW. Within 1% of the middle price: "
        "0.02 BTC bid and 0.04 BTC offered."
    )


def test_the_depth_summary_of_a_one_sided_book_says_none_for_the_other_side(alice_client, exchange):
    rest(exchange, exchange.bob, "SELL", "0.01", "101000000")

    summary = alice_client.get(trade_url(exchange)).context["book"]["summary"]

    assert summary.startswith("Best bid: none; best ask: 101,000,000 KRW.")
    assert summary.endswith("0 BTC bid and 0.01 BTC offered.")


def test_the_depth_summary_of_an_empty_book_says_nobody_trades_yet(alice_client, exchange):
    summary = alice_client.get(trade_url(exchange)).context["book"]["summary"]

    assert summary == "Nobody is buying or selling yet."
