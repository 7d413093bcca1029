"""The transfer pages' live feed: only a signed-in user connects, and they hear about their own
deposits and withdrawals, never a classmate's (channels' in-memory layer, the whole ASGI stack)."""

import json
from decimal import Decimal as D

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from campus.asgi import application
from sandbox.wallet.assets import ensure_standard_assets
from sandbox.wallet.services import open_wallet
from sandbox.wallet.transfers import request_withdrawal
from tests.factories import EnrollmentFactory, OfferingFactory

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1")
SOMEWHERE = "0x" + "a" * 40


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def no_broadcast(monkeypatch):
    """A withdrawal asks the chain side to send it after commit; no worker here."""
    monkeypatch.setattr("sandbox.wallet.withdrawals._send_broadcast_task", lambda pk: None)


@pytest.fixture
def classmates(transactional_db):
    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    offering = OfferingFactory()
    minji, junho = (EnrollmentFactory(offering=offering).user for _ in range(2))
    for student in (minji, junho):
        open_wallet(offering_id=offering.pk, owner_id=student.pk)
    return offering, minji, junho


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def socket_for(user=None) -> WebsocketCommunicator:
    headers = [ORIGIN] + ([session_cookie(user)] if user else [])
    return WebsocketCommunicator(application, "/ws/transfers/", headers=headers)


def withdraw(offering, student):
    return request_withdrawal(
        offering_id=offering.pk,
        owner_id=student.pk,
        asset_code="ETH",
        amount=D("0.1"),
        to_address=SOMEWHERE,
    )


def test_an_anonymous_visitor_cannot_connect():
    socket = socket_for()

    async def connect():
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    connected, code = async_to_sync(connect)()

    assert not connected
    assert code == 4401


def test_a_student_hears_their_own_withdrawal_as_it_is_requested(classmates):
    offering, minji, _junho = classmates
    socket = socket_for(minji)

    async def request_and_listen():
        connected, _ = await socket.connect()
        assert connected
        withdrawal = await sync_to_async(withdraw)(offering, minji)
        heard = json.loads(await socket.receive_from(timeout=5))
        await socket.disconnect()
        return withdrawal, heard

    withdrawal, heard = async_to_sync(request_and_listen)()

    assert heard["type"] == "transfer.update"
    assert heard["transfer"] | {"amount": None} == {
        "kind": "withdrawal",
        "id": withdrawal.pk,
        "offering_id": offering.pk,
        "status": "pending",
        "confirmations": None,
        "amount": None,
        "asset": "ETH",
        "tx_hash": None,
    }
    assert D(heard["transfer"]["amount"]) == D("0.1")


def test_a_student_does_not_hear_about_a_classmates_withdrawal(classmates):
    offering, minji, junho = classmates
    minjis, junhos = socket_for(minji), socket_for(junho)

    async def listen_while_a_classmate_withdraws():
        await minjis.connect()
        await junhos.connect()
        await sync_to_async(withdraw)(offering, junho)
        junho_heard = json.loads(await junhos.receive_from(timeout=5))
        minji_heard_nothing = await minjis.receive_nothing(timeout=0.5)
        await minjis.disconnect()
        await junhos.disconnect()
        return junho_heard, minji_heard_nothing

    junho_heard, minji_heard_nothing = async_to_sync(listen_while_a_classmate_withdraws)()

    assert junho_heard["transfer"]["kind"] == "withdrawal"
    assert minji_heard_nothing


def test_what_a_client_sends_is_ignored(classmates):
    _offering, minji, _junho = classmates
    socket = socket_for(minji)

    async def send_and_listen():
        await socket.connect()
        await socket.send_json_to({"type": "transfer.update", "transfer": {"id": 1}})
        nothing = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return nothing

    assert async_to_sync(send_and_listen)()
