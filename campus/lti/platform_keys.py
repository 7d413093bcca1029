"""Platforms' public keys, fetched from their key set URL and cached.

A kid missing from the cached set triggers one fresh fetch (the platform may have rotated its
keys) before the launch is refused as `unknown_kid`; fresh fetches are limited to one per URL per
`LTI_JWKS_REFETCH_SECONDS`, so forged tokens with random kids cannot make us hammer the platform.
"""

import hashlib

import requests
from django.conf import settings
from django.core.cache import cache
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from campus.lti.errors import LaunchError


def platform_key(key_set_url: str, kid: str) -> PyJWK:
    """The platform's key `kid` from its key set; `unknown_kid` when it does not publish one."""
    cache_key = _cache_key(key_set_url)
    keys = cache.get(cache_key)
    if keys is None or (kid not in keys and _may_refetch(cache_key)):
        keys = _fetch(key_set_url)
        cache.set(cache_key, keys, settings.LTI_JWKS_CACHE_SECONDS)
    if kid not in keys:
        raise LaunchError("unknown_kid", f"kid {kid!r} not in {key_set_url}")
    try:
        return PyJWK(keys[kid])
    except PyJWKError as exc:
        raise LaunchError("unknown_kid", f"kid {kid!r} unusable: {exc}") from None


def _may_refetch(cache_key: str) -> bool:
    return cache.add(cache_key + ":refetch", 1, settings.LTI_JWKS_REFETCH_SECONDS)


def _fetch(key_set_url: str) -> dict[str, dict]:
    try:
        response = requests.get(key_set_url, timeout=settings.LTI_HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise LaunchError("platform_keys_unavailable", str(exc)) from None
    return {key["kid"]: key for key in document.get("keys", []) if key.get("kid")}


def _cache_key(key_set_url: str) -> str:
    return "lti:jwks:" + hashlib.sha256(key_set_url.encode()).hexdigest()
