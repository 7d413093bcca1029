"""API keys for the Binance-shaped HTTP API: creating, revoking, finding, and keeping secrets.

A key acts for one user's wallet in one offering. Its secret is returned once, at creation, and
stored only encrypted (campus/crypto.py; HMAC verification needs the plaintext, so a one-way hash would
not do). The encryption keys come from `settings.FIELD_ENCRYPTION_KEYS` (env
DJANGO_FIELD_ENCRYPTION_KEY, comma-separated, the first encrypts) and, after them, keys derived
from SECRET_KEY and SECRET_KEY_FALLBACKS, so rotating either keeps old secrets readable.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Collection
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campus.crypto import Undecryptable, decrypt_text, encrypt_text
from campus.errors import ServiceError
from campus.sqlrows import Columns, attach, column, in_list, prepared, send, table
from courses.api import Enrollment, Offering, is_enrolled
from sandbox.exchange.errors import ApiKeyRejected
from sandbox.exchange.models import ApiKey
from sandbox.exchange.selectors import market_by_symbol_join, market_columns, market_of
from sandbox.wallet.api import open_wallet

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 64
SECRET_PURPOSE = "exchange.apikey-secret"  # campus.crypto key derivation, as stored


def create_api_key(*, user_id: int, offering_id: int, label: str = "") -> tuple[ApiKey, str]:
    """Create a key for the user's wallet in the offering; returns the key and its secret, which
    is never shown again. The user must be actively enrolled; their wallet is opened (and funded
    with the starting grant) first if it was not yet, in its own transaction."""
    if not is_enrolled(user_id=user_id, offering_id=offering_id):
        raise ServiceError(
            "not_enrolled", _("Only people enrolled in the offering can have API keys for it.")
        )
    open_wallet(offering_id=offering_id, owner_id=user_id)
    secret = _random_token()
    with transaction.atomic(durable=True):
        api_key = ApiKey.objects.create(
            owner_id=user_id,
            offering_id=offering_id,
            label=label[:80],
            key=_random_token(),
            encrypted_secret=encrypt_secret(secret),
        )
    return api_key, secret


def revoke_api_key(*, user_id: int, key_id: int) -> ApiKey:
    """Revoke one of the user's keys; requests signed with it are refused from now on (-2015).
    Revoking a revoked key changes nothing."""
    with transaction.atomic(durable=True):
        api_key = ApiKey.objects.select_for_update().filter(pk=key_id, owner_id=user_id).first()
        if api_key is None:
            raise ServiceError("unknown_api_key", _("You have no API key with that id."))
        if api_key.revoked_at is None:
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
        return api_key


def usable_key(key: str, *, symbol: str | None = None) -> ApiKey | None:
    """The key, with its offering, if it may act now: not revoked, its owner active and still
    enrolled in the offering. One query, written as SQL (every API call makes it: see
    campus/sqlrows.py); None otherwise. With `symbol` (upper case), the same query also reads
    the offering's market of that symbol, which nearly every signed call names, into
    `api_key.named_market`: (symbol, the market or None if the offering has none)."""
    with prepared() as cursor:
        if symbol is None:
            cursor.execute(_usable_key_sql(), [key])
        else:
            cursor.execute(_usable_key_and_market_sql(), [symbol, key])
        row = cursor.fetchone()
    if row is None:
        return None
    width = _KEY_COLUMNS.width
    api_key, offering = _KEY_COLUMNS.instances(row[:width])
    attach(api_key, "offering", offering)
    if symbol is not None:
        api_key.named_market = (symbol, market_of(row[width:]))
    return api_key


_KEY_COLUMNS = Columns(ApiKey, "k").then(Offering, "o")
User = get_user_model()


@lru_cache(maxsize=1)
def _usable_key_sql() -> str:
    """`ApiKey.objects.select_related("offering").filter(key=..., revoked_at=None,
    owner__is_active=True, <an active enrollment in the key's offering>)`."""
    return _key_sql(_KEY_COLUMNS.select, "")


@lru_cache(maxsize=1)
def _usable_key_and_market_sql() -> str:
    """The same, and beside it the offering's market with a given symbol (or NULLs)."""
    offering = f"k.{column(ApiKey, 'offering')}"
    return _key_sql(f"{_KEY_COLUMNS.select}, {market_columns()}", market_by_symbol_join(offering))


def usable_key_ids(ids: Collection[int]) -> set[int]:
    """Those of the keys `ids` that may act now (as `usable_key` finds them): one query. The
    order desk asks it again for the keys that a web process found usable earlier (see
    `desk.place_order`'s `recheck_key`): a round's, with its locks (`send_usable_key_ids`), or an
    order's placed alone."""
    return send_usable_key_ids(ids)()


def send_usable_key_ids(ids: Collection[int]) -> Callable[[], set[int]]:
    """`usable_key_ids`, sent (`sqlrows.send`): the function returned reads the answer, which
    inside `sqlrows.pipeline()` comes with the other statements' (a batch of orders reads its
    keys with its locks)."""
    if not ids:
        return set
    condition, params = in_list("k.id", sorted(set(ids)), "bigint")
    rows = send(_key_sql("k.id", "", where=condition), params)
    return lambda: {key_id for (key_id,) in rows()}


def key_no_longer_usable() -> ApiKeyRejected:
    """What an order whose key was checked again as it was placed, and may no longer act, is
    refused with (nothing of it placed)."""
    return ApiKeyRejected("The key was revoked, or you are no longer enrolled; nothing was placed.")


def _key_sql(select: str, joins: str, *, where: str = "") -> str:
    where = where or f"k.{column(ApiKey, 'key')} = %s"
    return (
        f"SELECT {select} FROM {table(ApiKey)} k"  # noqa: S608 (names from _meta, values as parameters)
        f" JOIN {table(Offering)} o ON o.id = k.{column(ApiKey, 'offering')}"
        f" JOIN {table(User)} u ON u.id = k.{column(ApiKey, 'owner')}{joins}"
        f" WHERE {where} AND k.{column(ApiKey, 'revoked_at')} IS NULL"
        f" AND u.{column(User, 'is_active')}"
        f" AND EXISTS (SELECT 1 FROM {table(Enrollment)} e"
        f" WHERE e.{column(Enrollment, 'offering')} = k.{column(ApiKey, 'offering')}"
        f" AND e.{column(Enrollment, 'user')} = k.{column(ApiKey, 'owner')}"
        f" AND e.{column(Enrollment, 'is_active')})"
    )


def offering_by_slug(slug: str) -> Offering | None:
    """`Offering.objects.filter(slug=slug).first()` (slugs are unique), in SQL: every call to
    an offering's own API base URL (/o/<slug>/api/) reads it."""
    with prepared() as cursor:
        cursor.execute(_offering_sql(), [slug])
        row = cursor.fetchone()
    return None if row is None else _OFFERING_COLUMNS.instances(row)[0]


_OFFERING_COLUMNS = Columns(Offering, "o")


@lru_cache(maxsize=1)
def _offering_sql() -> str:
    return (
        f"SELECT {_OFFERING_COLUMNS.select} FROM {table(Offering)} o"  # noqa: S608 (names from _meta, values as parameters)
        f" WHERE o.{column(Offering, 'slug')} = %s"
    )


def encrypt_secret(secret: str) -> str:
    return encrypt_text(secret, purpose=SECRET_PURPOSE)


def decrypt_secret(api_key: ApiKey) -> str:
    """The plaintext secret. Raises ServiceError if no configured key can decrypt it (the
    encryption keys were rotated without keeping the old one)."""
    try:
        return decrypt_text(api_key.encrypted_secret, purpose=SECRET_PURPOSE, remember=True)
    except Undecryptable:
        raise ServiceError("undecryptable_secret", "The API key's secret cannot be read.") from None


def _random_token() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))
