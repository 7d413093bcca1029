"""Opening and funding sandbox wallets."""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from campus.sqlrows import Columns, attach, column, in_list, send, table
from sandbox.wallet.ledger import AVAILABLE, LedgerBatch, Leg
from sandbox.wallet.models import Account, Asset, Journal, StartingGrant, Wallet

DEFAULT_STARTING_GRANT = {
    "KRW": Decimal("10000000"),
    "BTC": Decimal("0.05"),
    "ETH": Decimal("1"),
    "KUSD": Decimal("1000"),
}


def user_accounts(*, offering_id: int, owner_id: int, asset_codes: list[str]) -> dict[str, Account]:
    """The owner's accounts for these assets, created empty where missing. Joins the caller's
    transaction; safe when two transactions create the same account at once."""
    found = _accounts(offering_id, owner_id, asset_codes)
    missing = [code for code in asset_codes if code not in found]
    if missing:
        Account.objects.bulk_create(
            [
                Account(offering_id=offering_id, owner_id=owner_id, asset_id=code)
                for code in missing
            ],
            ignore_conflicts=True,
        )
        found = _accounts(offering_id, owner_id, asset_codes)
    return found


def _accounts(offering_id: int, owner_id: int, asset_codes: list[str]) -> dict[str, Account]:
    accounts = accounts_for_trading(
        offering_id=offering_id, owner_ids=[owner_id], asset_codes=asset_codes
    )
    return {account.asset_id: account for account in accounts}


def accounts_for_trading(
    *, offering_id: int, owner_ids: list[int], asset_codes: list[str], fees: bool = False
) -> list[Account]:
    """The owners' accounts in these assets (and, with `fees`, the offering's fee accounts in
    them), their assets attached: `Account.objects.filter(...).select_related("asset")`, in SQL,
    since every order reads them (campus/sqlrows.py)."""
    return send_accounts_for_trading(
        offering_id=offering_id, owner_ids=owner_ids, asset_codes=asset_codes, fees=fees
    )()


def send_accounts_for_trading(
    *,
    offering_id: int,
    owner_ids: list[int],
    asset_codes: list[str],
    fees: bool = False,
    only: Collection[tuple[int, str]] | None = None,
) -> Callable[[], list[Account]]:
    """`accounts_for_trading`, sent: the function returned reads them (`sqlrows.send`). With
    `only`, of the owners' accounts just these (owner, asset) pairs are made into instances
    (a batch's owners each trade in some of its assets, not all)."""
    assets, asset_params = in_list(f"a.{column(Account, 'asset')}", asset_codes, "text")
    owners, owner_params = in_list(f"a.{column(Account, 'owner')}", owner_ids, "bigint")
    kind = f" OR a.{column(Account, 'kind')} = %s" if fees else ""
    sql = (
        f"SELECT {_ACCOUNT_COLUMNS.select} FROM {table(Account)} a"  # noqa: S608 (names from _meta, values as parameters)
        f" JOIN {table(Asset)} s ON s.code = a.{column(Account, 'asset')}"
        f" WHERE a.{column(Account, 'offering')} = %s AND {assets} AND ({owners}{kind})"
    )
    params = [offering_id, *asset_params, *owner_params, *([Account.Kind.FEES] if fees else [])]
    rows = send(sql, params)

    def accounts() -> list[Account]:
        found = []
        for row in rows():
            unwanted = only is not None and (row[_OWNER], row[_ASSET]) not in only
            if unwanted and row[_KIND] != Account.Kind.FEES:
                continue
            account, asset = _ACCOUNT_COLUMNS.instances(row)
            attach(account, "asset", asset)
            found.append(account)
        return found

    return accounts


_ACCOUNT_COLUMNS = Columns(Account, "a").then(Asset, "s")
_OWNER, _ASSET, _KIND = (  # where these are in its rows
    [field.attname for field in Account._meta.concrete_fields].index(name)
    for name in ("owner_id", "asset_id", "kind")
)


def system_account(*, offering_id: int, asset_code: str, kind: str) -> Account:
    account, _created = Account.objects.select_related("asset").get_or_create(
        offering_id=offering_id, asset_id=asset_code, kind=kind, owner=None
    )
    return account


def set_starting_grant(*, offering_id: int, amounts: dict[str, Decimal]) -> None:
    """Set what new wallets in the offering start with (existing wallets keep what they have)."""
    _check_amounts(amounts)
    with transaction.atomic(durable=True):
        StartingGrant.objects.filter(offering_id=offering_id).exclude(asset_id__in=amounts).delete()
        for code, amount in amounts.items():
            StartingGrant.objects.update_or_create(
                offering_id=offering_id, asset_id=code, defaults={"amount": amount}
            )


def _check_amounts(amounts: dict[str, Decimal]) -> None:
    """Each a known asset and a positive amount at that asset's precision, or a ServiceError."""
    assets = {asset.code: asset for asset in Asset.objects.filter(code__in=amounts)}
    for code, amount in amounts.items():
        if code not in assets:
            raise ServiceError("unknown_asset", _("There is no asset %(code)s.") % {"code": code})
        if amount <= 0 or amount != amount.quantize(assets[code].quantum):
            raise ServiceError(
                "invalid_amount",
                _(
                    "%(amount)s is not a valid positive amount of %(code)s (at most %(places)s places)."
                )
                % {"amount": amount, "code": code, "places": assets[code].precision},
            )


def starting_grant(offering_id: int) -> dict[str, Decimal]:
    rows = StartingGrant.objects.filter(offering_id=offering_id)
    grant = {row.asset_id: row.amount for row in rows}
    if grant:
        return grant
    known = set(
        Asset.objects.filter(code__in=DEFAULT_STARTING_GRANT).values_list("code", flat=True)
    )
    return {code: amount for code, amount in DEFAULT_STARTING_GRANT.items() if code in known}


def open_wallet(*, offering_id: int, owner_id: int) -> tuple[Wallet, bool]:
    """Open the owner's wallet in the offering and fund it with the starting grant, exactly once.
    Returns the wallet and whether it was opened now."""
    with transaction.atomic(durable=True):
        return open_wallet_in_transaction(offering_id=offering_id, owner_id=owner_id)


def open_wallet_in_transaction(*, offering_id: int, owner_id: int) -> tuple[Wallet, bool]:
    existing = Wallet.objects.filter(offering_id=offering_id, owner_id=owner_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            wallet = Wallet.objects.create(offering_id=offering_id, owner_id=owner_id)
    except IntegrityError:  # opened concurrently by another transaction
        return Wallet.objects.get(offering_id=offering_id, owner_id=owner_id), False
    credit_from_issuance(
        offering_id=offering_id,
        owner_id=owner_id,
        amounts=starting_grant(offering_id),
        kind=Journal.Kind.GRANT,
        reference=f"wallet:{wallet.pk}",
    )
    return wallet, True


def issue(*, offering_id: int, owner_id: int, amounts: dict[str, Decimal], memo: str) -> None:
    """Credit simulated assets to a holder from the issuance account (house accounts of market
    makers, instructor top-ups). One balanced journal per asset, in one transaction."""
    _check_amounts(amounts)
    with transaction.atomic(durable=True):
        credit_from_issuance(
            offering_id=offering_id,
            owner_id=owner_id,
            amounts=amounts,
            kind=Journal.Kind.ADJUSTMENT,
            reference=f"issue:{owner_id}",
            memo=memo,
        )


def credit_from_issuance(
    *,
    offering_id: int,
    owner_id: int,
    amounts: dict[str, Decimal],
    kind: str,
    reference: str,
    memo: str = "",
) -> None:
    """One balanced journal per asset: the issuance account pays, the holder receives."""
    accounts = user_accounts(offering_id=offering_id, owner_id=owner_id, asset_codes=list(amounts))
    batch = LedgerBatch(offering_id)
    for code, amount in amounts.items():
        issuance = system_account(
            offering_id=offering_id, asset_code=code, kind=Account.Kind.ISSUANCE
        )
        batch.add(
            kind,
            [Leg(issuance, AVAILABLE, -amount), Leg(accounts[code], AVAILABLE, amount)],
            reference=reference,
            memo=memo,
        )
    batch.commit()


def open_funded_wallet(
    *, offering_id: int, owner_id: int, amounts: dict[str, Decimal], memo: str
) -> bool:
    """Open a wallet funded with `amounts` instead of the starting grant (house accounts of market
    makers), wallet and credit in one transaction. Returns whether it was opened now."""
    _check_amounts(amounts)
    with transaction.atomic(durable=True):
        if Wallet.objects.filter(offering_id=offering_id, owner_id=owner_id).exists():
            return False
        Wallet.objects.create(offering_id=offering_id, owner_id=owner_id)
        credit_from_issuance(
            offering_id=offering_id,
            owner_id=owner_id,
            amounts=amounts,
            kind=Journal.Kind.ADJUSTMENT,
            reference=f"issue:{owner_id}",
            memo=memo,
        )
        return True
