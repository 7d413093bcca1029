"""The API's lane through the ASGI server (sandbox/exchange/api/lane.py): Binance-shaped calls
answered without the page middleware, everything else left to the site."""

import http.client
import socket
from urllib.parse import urlsplit

import pytest
from binance.spot import Spot

from sandbox.exchange.models import Order
from tests.sandbox.exchange.api.test_binance_client import balances, new_key

pytestmark = pytest.mark.django_db(transaction=True)


def raw(site, method: str, path: str, *, body: bytes = b"", host: str | None = None):
    """(status, headers, body) of one request, sent as written (no client-side fixing up)."""
    address = urlsplit(site.url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True)
        conn.putheader("Host", host or address.netloc)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_a_binance_client_trades_through_the_lane_of_the_asgi_site(site, exchange):
    alice = Spot(**_credentials(new_key(exchange.alice, exchange.offering)), base_url=site.url)
    bob = Spot(**_credentials(new_key(exchange.bob, exchange.offering)), base_url=site.url)
    try:
        alice.new_order(
            symbol="BTCKRW", side="SELL", type="LIMIT", timeInForce="GTC",
            quantity="0.01", price="100000000",
        )  # fmt: skip
        taken = bob.new_order(
            symbol="BTCKRW", side="BUY", type="LIMIT", timeInForce="GTC",
            quantity="0.01", price="100000000",
        )  # fmt: skip

        assert taken["status"] == "FILLED"
        assert [(f["price"], f["qty"]) for f in taken["fills"]] == [
            ("100000000.00000000", "0.01000000")
        ]
        assert balances(bob)["BTC"] == ("0.05999000", "0.00000000")
    finally:
        alice.session.close()
        bob.session.close()


def _credentials(key: dict) -> dict:
    return {"api_key": key["apiKey"], "api_secret": key["secretKey"]}


def test_api_answers_skip_the_page_middleware_that_pages_get(site, exchange):
    status, api_headers, body = raw(site, "GET", f"/o/{exchange.offering.slug}/api/v3/ping")
    _, page_headers, _ = raw(site, "GET", "/accounts/login/")

    assert (status, body) == (200, b"{}")
    assert api_headers["x-mbx-used-weight-1m"] == "1"
    assert api_headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" in page_headers  # the page went through the middleware...
    assert "x-frame-options" not in api_headers  # ...the API call did not
    assert "set-cookie" not in api_headers


def test_a_path_the_api_does_not_know_is_left_to_the_site(site):
    status, headers, _ = raw(site, "GET", "/api/v3/noSuchEndpoint")

    assert status == 404
    assert headers["content-type"].startswith("text/html")  # the site's own 404 page


def test_a_host_not_allowed_is_refused_as_the_site_refuses_it(site, exchange):
    status, _, _ = raw(site, "GET", f"/o/{exchange.offering.slug}/api/v3/ping", host="evil.example")

    assert status == 400


def test_plain_http_is_redirected_to_https_when_the_site_requires_it(site, exchange, settings):
    settings.SECURE_SSL_REDIRECT = True

    status, headers, _ = raw(site, "GET", f"/o/{exchange.offering.slug}/api/v3/ping")

    assert status == 301
    assert headers["location"].startswith("https://")


def test_an_oversized_body_is_refused_before_any_work(site, exchange):
    status, _, body = raw(site, "POST", "/api/v3/order", body=b"a=" + b"x" * 70_000)

    assert status == 413
    assert b"too large" in body


def test_a_query_string_that_is_not_utf8_is_a_bad_request(site, exchange):
    address = urlsplit(site.url)
    path = f"/o/{exchange.offering.slug}/api/v3/ping?a=".encode() + b"\xff"
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status_line = conn.makefile("rb").readline()

    assert status_line.split()[1] == b"400"


def test_a_client_that_hangs_up_before_its_body_arrived_runs_nothing(exchange):
    from asgiref.sync import async_to_sync

    from campus.asgi import application

    sent = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": "/api/v3/order", "raw_path": b"/api/v3/order",
        "query_string": b"symbol=BTCKRW&side=BUY&type=MARKET&quantity=0.001", "root_path": "",
        "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80), "scheme": "http", "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }  # fmt: skip

    async_to_sync(application)(scope, receive, send)

    assert sent == []
    assert not Order.objects.exists()
