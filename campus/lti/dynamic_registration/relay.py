"""Telling the platform's frame that the registration finished in a window of its own.

The frame cannot hear from that window: Django serves every page with Cross-Origin-Opener-Policy
same-origin, so the window the relay opens loses its `opener` as soon as it loads the login page,
and storage (BroadcastChannel, localStorage) is partitioned between a frame under the LMS and a
window of our own. So the relay page carries a random ticket into the window's URL; the
registration, once recorded, marks the ticket done in the cache; the relay asks until it is, then
posts the close message to the platform. A ticket says nothing but "a registration finished":
knowing one gives nothing else away."""

import hashlib
import re
import secrets

from django.core.cache import cache

PARAM = "relay"
TICKET = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TTL_SECONDS = 3600


def new_ticket() -> str:
    return secrets.token_urlsafe(24)


def mark_registered(ticket: str) -> None:
    if TICKET.match(ticket or ""):
        cache.set(_key(ticket), True, TTL_SECONDS)


def is_registered(ticket: str) -> bool:
    return bool(TICKET.match(ticket or "")) and bool(cache.get(_key(ticket)))


def _key(ticket: str) -> str:
    return "lti:register:relay:" + hashlib.sha256(ticket.encode()).hexdigest()
