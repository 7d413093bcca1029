"""Secrets the site must read back (API key secrets, chain RPC tokens), encrypted at rest.

Fernet with keys from `settings.FIELD_ENCRYPTION_KEYS` (env DJANGO_FIELD_ENCRYPTION_KEY,
comma-separated, the first encrypts) and, after them, keys derived from SECRET_KEY and
SECRET_KEY_FALLBACKS, so rotating either keeps old values readable. Each use passes its own
`purpose`, so a value encrypted for one purpose never decrypts as another.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Undecryptable(ValueError):
    """No configured key opens the value (the keys were rotated without keeping the old one)."""


def encrypt_text(plain: str, *, purpose: str) -> str:
    return _fernet(purpose, *_key_material()).encrypt(plain.encode()).decode()


def decrypt_text(token: str, *, purpose: str, remember: bool = False) -> str:
    """The plain text. With `remember`, kept in this process's memory for the next call with
    the same token and keys (for a secret read on every request: the API keys' secrets, which
    every signed call needs); a rotated key is a new entry, and a failure is never kept."""
    if remember:
        return _remembered(token, purpose, *_key_material())
    return _decrypted(token, purpose, *_key_material())


@functools.lru_cache(maxsize=4096)
def _remembered(
    token: str, purpose: str, configured: tuple[str, ...], site: tuple[str, ...]
) -> str:
    return _decrypted(token, purpose, configured, site)


def _decrypted(token: str, purpose: str, configured: tuple[str, ...], site: tuple[str, ...]) -> str:
    try:
        return _fernet(purpose, configured, site).decrypt(token.encode()).decode()
    except InvalidToken:
        raise Undecryptable(purpose) from None


def digest(text: str) -> str:
    """SHA-256 hex of a high-entropy token: what the database indexes instead of the token."""
    return hashlib.sha256(text.encode()).hexdigest()


def _key_material() -> tuple[tuple[str, ...], tuple[str, ...]]:
    configured = tuple(k for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if k)
    site = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", []))
    return configured, site


@functools.lru_cache(maxsize=16)
def _fernet(purpose: str, configured: tuple[str, ...], site: tuple[str, ...]) -> MultiFernet:
    info = f"blockcampus.{purpose}".encode()
    return MultiFernet([Fernet(_derive(material, info)) for material in (*configured, *site)])


def _derive(material: str, info: bytes) -> bytes:
    """A Fernet key from any string: HKDF-SHA256, so a long random secret is not weakened and a
    SECRET_KEY is never used directly as an encryption key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return base64.urlsafe_b64encode(hkdf.derive(material.encode()))
