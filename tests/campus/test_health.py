import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from campus.asgi import application
from campus.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_naming_each_dependency_checked(client):
    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_answers_503_naming_a_broker_that_is_down(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 503
    assert body["down"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]


def test_healthz_answers_503_naming_a_channel_layer_that_is_down(client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["down"] == ["channel_layer"]


def test_websocket_round_trips_through_the_configured_channel_layer():
    async def connect_and_receive():
        communicator = WebsocketCommunicator(
            application, "/ws/healthz", headers=[(b"origin", b"http://127.0.0.1")]
        )
        connected, _ = await communicator.connect()
        message = await communicator.receive_from(timeout=5)
        await communicator.disconnect()
        return connected, json.loads(message)

    connected, message = async_to_sync(connect_and_receive)()

    assert connected
    assert message["status"] == "ok"
