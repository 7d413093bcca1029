"""What a server process does once before it serves: the startup heap frozen (campus/serving.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from campus import serving

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: freezing the test process's heap would outlive the test.
STARTUP = """
import asyncio, gc, json, sys
from campus.asgi import application
before = {"frozen": gc.get_freeze_count(), "views": "campus.urls" in sys.modules}
sent, views_when_frozen = [], []
freeze = gc.freeze
def recorded_freeze():
    views_when_frozen.append("campus.urls" in sys.modules)
    freeze()
gc.freeze = recorded_freeze
async def main():
    messages = asyncio.Queue()
    await messages.put({"type": "lifespan.startup"})
    async def send(message):
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            await messages.put({"type": "lifespan.shutdown"})
    await application({"type": "lifespan", "asgi": {"version": "3.0"}}, messages.get, send)
asyncio.run(main())
after = {"frozen": gc.get_freeze_count(), "views": "campus.urls" in sys.modules}
print(json.dumps({"before": before, "after": after, "sent": sent, "views": views_when_frozen}))
"""


def test_a_web_process_freezes_its_startup_heap_with_the_views_when_the_server_starts_it():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    done = subprocess.run(
        [sys.executable, "-c", STARTUP],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "campus.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    said = json.loads(done.stdout.strip().splitlines()[-1])

    assert said["before"] == {"frozen": 0, "views": False}
    assert said["views"] == [True]  # imported before the freeze, not by a first request
    assert said["after"]["frozen"] > 50_000  # Django, the site's modules, the URL patterns
    assert said["sent"] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_site_served_from_a_thread_leaves_its_process_heap_alone(monkeypatch):
    import asyncio
    import threading

    calls = []
    monkeypatch.setattr(serving, "prepare_to_serve", lambda: calls.append("prepared"))
    sent = []

    async def lifespan():
        messages = asyncio.Queue()
        for message in ({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}):
            await messages.put(message)

        async def send(message):
            sent.append(message["type"])

        application = serving.ServerStartup(_lifespan_app)
        await application({"type": "lifespan"}, messages.get, send)

    thread = threading.Thread(target=asyncio.run, args=(lifespan(),))  # as tests/servers.py does
    thread.start()
    thread.join(10)

    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == []


async def _lifespan_app(scope, receive, send):
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return


def test_the_order_desk_freezes_its_startup_heap_before_it_serves(monkeypatch, tmp_path):
    from django.core.management import call_command

    from sandbox.exchange.deskprocess import OrderDesk
    from sandbox.exchange.management.commands import order_desk

    calls = []
    monkeypatch.setattr(order_desk.signal, "signal", lambda *_: None)  # pytest keeps its own
    monkeypatch.setattr(order_desk, "settle_startup_heap", lambda: calls.append("settled"))
    monkeypatch.setattr(OrderDesk, "serve", lambda self, stop, ready: calls.append("served"))

    call_command("order_desk", socket=str(tmp_path / "desk.sock"))

    assert calls == ["settled", "served"]


def test_settling_collects_startup_garbage_and_freezes_the_rest(monkeypatch):
    calls = []
    monkeypatch.setattr(serving.gc, "collect", lambda: calls.append("collect"))
    monkeypatch.setattr(serving.gc, "freeze", lambda: calls.append("freeze"))

    serving.settle_startup_heap()

    assert calls == ["collect", "freeze"]
