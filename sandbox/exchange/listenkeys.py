"""Listen keys for the user data stream (Binance's POST/PUT/DELETE /api/v3/userDataStream).

A key lives in the cache (Redis in production, so every web process sees it) for an hour and is
kept alive by PUT. Asking again while one is alive returns the same key, as Binance does.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache

LIFETIME_S = 60 * 60


def open_listen_key(*, api_key_id: int, offering_id: int, owner_id: int) -> str:
    key = cache.get(_by_api_key(api_key_id))
    if key is None or cache.get(_entry(key)) is None:
        key = secrets.token_urlsafe(45)[:60]
    _store(key, api_key_id, offering_id, owner_id)
    return key


def keep_alive(*, api_key_id: int, key: str) -> bool:
    """Extend the key's life by another hour; False if it is unknown, expired or not this API key's."""
    entry = cache.get(_entry(key))
    if entry is None or entry[0] != api_key_id:
        return False
    _store(key, *entry)
    return True


def close_listen_key(*, api_key_id: int, key: str) -> bool:
    entry = cache.get(_entry(key))
    if entry is None or entry[0] != api_key_id:
        return False
    cache.delete_many([_entry(key), _by_api_key(api_key_id)])
    return True


def owner_of(key: str) -> tuple[int, int] | None:
    """(offering id, owner id) of a live key."""
    entry = cache.get(_entry(key))
    return (entry[1], entry[2]) if entry is not None else None


def _store(key: str, api_key_id: int, offering_id: int, owner_id: int) -> None:
    cache.set(_entry(key), (api_key_id, offering_id, owner_id), LIFETIME_S)
    cache.set(_by_api_key(api_key_id), key, LIFETIME_S)


def _entry(key: str) -> str:
    return f"exchange:listen-key:{key}"


def _by_api_key(api_key_id: int) -> str:
    return f"exchange:listen-key-of:{api_key_id}"
