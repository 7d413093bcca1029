import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.test import Client

from sandbox.exchange.apikeys import create_api_key
from tests.factories import EnrollmentFactory


def now_ms() -> int:
    return int(time.time() * 1000)


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


@dataclass
class SignedClient:
    """Sends SIGNED requests the way Binance's documentation describes them."""

    client: Client
    key: str
    secret: str
    base: str = "/api"

    def get(self, path, **params):
        return self.send("get", path, params)

    def post(self, path, **params):
        return self.send("post", path, params)

    def delete(self, path, **params):
        return self.send("delete", path, params)

    def send(self, method, path, params, *, secret=None, in_body=False):
        params = {name: value for name, value in params.items() if value is not None}
        params.setdefault("timestamp", now_ms())
        payload = urlencode(params)
        signed = f"{payload}&signature={sign(secret or self.secret, payload)}"
        url = f"{self.base}/v3/{path}"
        headers = {"HTTP_X_MBX_APIKEY": self.key}
        if in_body:
            return getattr(self.client, method)(
                url, signed, content_type="application/x-www-form-urlencoded", **headers
            )
        return getattr(self.client, method)(f"{url}?{signed}", **headers)


@pytest.fixture(autouse=True)
def _own_rate_counters(settings):
    """Each test counts request weight afresh (the cache outlives a test's database)."""
    settings.EXCHANGE_API_RATE_NAMESPACE = f"test-{uuid.uuid4().hex}"


def api_client(user, offering) -> SignedClient:
    EnrollmentFactory(offering=offering, user=user)
    api_key, secret = create_api_key(user_id=user.pk, offering_id=offering.pk, label="test")
    return SignedClient(Client(), api_key.key, secret)


@pytest.fixture
def api(exchange):
    """Given alice and bob enrolled in the exchange's offering, each with an API key."""
    return SimpleNamespace(
        alice=api_client(exchange.alice, exchange.offering),
        bob=api_client(exchange.bob, exchange.offering),
        public=f"/o/{exchange.offering.slug}/api/v3",
    )


def limit_order(side="BUY", quantity="0.01", price="100000000", **extra):
    return {
        "symbol": "BTCKRW",
        "side": side,
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": quantity,
        "price": price,
        **extra,
    }
