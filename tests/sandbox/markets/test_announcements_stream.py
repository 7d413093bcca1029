"""Students see a scenario's announcements as they happen: each is sent on the offering's
`announcements` stream when the tick that made it commits."""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from campus.asgi import application
from sandbox.markets import runner
from sandbox.markets.services import start_scenario

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_announcement_reaches_the_offerings_sockets_when_its_tick_commits(exchange):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="flash-crash", started_by_id=None, seed=3
    )
    tick = sync_to_async(runner.tick)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/o/{exchange.offering.slug}/ws/announcements")
        connected, _ = await socket.connect()
        await asyncio.sleep(0.2)  # Redis confirms a subscription asynchronously
        await tick(run.pk, now=run.clock_at + timedelta(seconds=1))
        news = json.loads(await socket.receive_from(timeout=5))
        await socket.disconnect()
        return connected, news

    connected, news = async_to_sync(scenario)()

    assert connected
    assert news["e"] == "announcements"
    assert news["t"] == "Quiet markets. Place your stop-loss orders and deep bids now."
