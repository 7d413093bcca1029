"""Dependency checks for /healthz and for start-up: each returns None when healthy or a short
reason naming what is wrong."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

CHECK_TIMEOUT_S = 2.0


def check_database() -> str | None:
    try:
        if connection.settings_dict.get("OPTIONS", {}).get("pool"):
            _connect_directly()
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure is a reason to report, not to raise
        return _first_line(error)
    return None


def _connect_directly() -> None:
    """A pool waits its whole timeout for a database that is down; a plain connection with a
    short timeout answers at once whether the server is there."""
    import psycopg

    params = connection.get_connection_params()
    wanted = {
        k: v for k, v in params.items() if k in ("dbname", "user", "password", "host", "port")
    }
    with psycopg.connect(**wanted, connect_timeout=int(CHECK_TIMEOUT_S)) as direct:
        direct.execute("SELECT 1").fetchone()


def check_channel_layer() -> str | None:
    """Round-trip one message through the layer: the real thing live streams depend on."""
    try:
        async_to_sync(_channel_round_trip)()
    except Exception as error:  # noqa: BLE001
        return _first_line(error) or type(error).__name__
    return None


async def _channel_round_trip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await asyncio.wait_for(
        layer.send(channel, {"type": "healthz", "token": token}), CHECK_TIMEOUT_S
    )
    message = await asyncio.wait_for(layer.receive(channel), CHECK_TIMEOUT_S)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")


def check_broker() -> str | None:
    from campus.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001
        return _first_line(error) or type(error).__name__
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


def describe() -> dict[str, str]:
    """Where each dependency lives, for messages (never includes passwords)."""
    db = settings.DATABASES["default"]
    return {
        "database": f"{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}".strip(),
        "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
        "broker": settings.CELERY_BROKER_URL.split("@")[-1],
    }


def run_checks() -> dict[str, str | None]:
    return {name: check() for name, check in CHECKS.items()}


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else ""
