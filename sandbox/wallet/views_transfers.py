"""A student's deposit and withdrawal desk: deposit, withdraw, and the history of both.

Portal pages compose what they show: the ledger side (deposits, withdrawals, fees, balances) is
this app's; where to send on the student's chain (their deposit address, the exchange's token
contracts, their own accounts) is read from `sandbox.chain.api`. The wallet's models and services
never import the chain; only these pages do.

Server-rendered and usable without JavaScript. A withdrawal posts to `request_withdrawal`; a
refusal comes back as the form again with the service's words and what the student typed
(HTTP 400, nothing held); success redirects to the history with the new request marked.
`static/js/transfers.js` follows the student's transfers over the WebSocket `/ws/transfers/`
and swaps in each changed row, fetched from `transfer_row`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from campus.errors import ServiceError
from courses.api import Offering
from sandbox.access import member_offering_or_404
from sandbox.wallet import selectors, views_desk
from sandbox.wallet.forms import WithdrawalForm, plain
from sandbox.wallet.models import Asset, Deposit, Withdrawal
from sandbox.wallet.services import open_wallet
from sandbox.wallet.transfers import request_withdrawal
from sandbox.wallet.transfers_selectors import (
    TransferRule,
    deposits_of,
    transfer_rules,
    transfer_settings,
    withdrawals_of,
)
from sandbox.wallet.views_rows import STATE_LABELS, deposit_row, withdrawal_row

RECENT_DEPOSITS = 10
HISTORY_ROWS = 50
SOCKET_PATH = "/ws/transfers/"


# -- pages -------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def deposit(request: HttpRequest, slug: str) -> HttpResponse:
    offering = _member_offering(request, slug)
    facts = views_desk.deposit_facts(request, offering)
    names = asset_names()
    cards = [
        views_desk.asset_card(rule, names.get(rule.asset_code, ""), facts)
        for rule in withdrawable_rules(offering)
    ]
    required = required_confirmations(offering)
    deposits = deposits_of(offering.pk, request.user.pk, limit=RECENT_DEPOSITS)
    context = {
        "offering": offering,
        "tab": "deposit",
        "facts": facts,
        "assets": cards,
        "example": next((card for card in cards if card.contract), None),
        "required": required,
        "deposits": [deposit_row(offering, d, required) for d in deposits],
        "live": live_config(offering),
    }
    return render(request, "sandbox/wallet/deposit.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    offering = _member_offering(request, slug)
    rules = withdrawable_rules(offering)
    choices = [(rule.asset_code, rule.asset_code) for rule in rules]
    if request.method == "GET":
        form = WithdrawalForm(assets=choices, initial={"asset": request.GET.get("asset")})
        return _render_withdraw(request, offering, rules, form)
    form = WithdrawalForm(request.POST, assets=choices)
    if not form.is_valid():
        return _render_withdraw(request, offering, rules, form, status=400)
    try:
        withdrawal = request_withdrawal(
            offering_id=offering.pk,
            owner_id=request.user.pk,
            asset_code=form.cleaned_data["asset"],
            amount=form.cleaned_data["amount"],
            to_address=form.cleaned_data["to_address"].strip(),
        )
    except ServiceError as error:
        return _render_withdraw(request, offering, rules, form, refusal=error, status=400)
    messages.success(request, requested_message(withdrawal))
    return redirect(history_url(offering) + f"?new={withdrawal.pk}#withdrawal-{withdrawal.pk}")


@never_cache
@login_required
@require_GET
def history(request: HttpRequest, slug: str) -> HttpResponse:
    offering = _member_offering(request, slug)
    required = required_confirmations(offering)
    new = _int_or_none(request.GET.get("new"))
    deposits = deposits_of(offering.pk, request.user.pk, limit=HISTORY_ROWS)
    withdrawals = withdrawals_of(offering.pk, request.user.pk, limit=HISTORY_ROWS)
    context = {
        "offering": offering,
        "tab": "history",
        "required": required,
        "deposits": [deposit_row(offering, d, required) for d in deposits],
        "withdrawals": [withdrawal_row(offering, w, highlight=w.pk == new) for w in withdrawals],
        "history_rows": HISTORY_ROWS,
        "live": live_config(offering),
    }
    return render(request, "sandbox/wallet/transfers.html", context)


@never_cache
@login_required
@require_GET
def transfer_row(request: HttpRequest, slug: str, kind: str, transfer_id: int) -> HttpResponse:
    """One row of the history, as HTML, for the page's script to swap in (the owner's only)."""
    offering = member_offering_or_404(request, slug)
    model = {"deposit": Deposit, "withdrawal": Withdrawal}.get(kind)
    if model is None:
        raise Http404("No such kind of transfer.")
    transfer = (
        model.objects.select_related("asset")
        .filter(offering_id=offering.pk, owner_id=request.user.pk, pk=transfer_id)
        .first()
    )
    if transfer is None:
        raise Http404("No such transfer of yours.")
    if kind == "deposit":
        row = deposit_row(offering, transfer, required_confirmations(offering))
        return render(request, "sandbox/wallet/_deposit_row.html", {"row": row})
    row = withdrawal_row(offering, transfer, highlight=False)
    return render(request, "sandbox/wallet/_withdrawal_row.html", {"row": row})


# -- the withdrawal form -----------------------------------------------------------------------


@dataclass(frozen=True)
class AssetTerms:
    """What the withdrawal form shows beside each asset: fee, minimum and what may be sent."""

    asset: str
    name: str
    fee: str
    minimum: str
    available: str
    most: str  # the most that can be withdrawn now: available − fee, or "0"


def _render_withdraw(
    request: HttpRequest,
    offering: Offering,
    rules: list[TransferRule],
    form: WithdrawalForm,
    *,
    refusal: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    settings = transfer_settings(offering.pk)
    context = {
        "offering": offering,
        "tab": "withdraw",
        "form": form,
        "refusal": refusal,
        "halted": settings.withdrawals_halted,
        "halted_reason": settings.halted_reason,
        "terms": asset_terms(offering, request.user.pk, rules),
        "own_accounts": views_desk.own_accounts(offering, request.user.pk),
    }
    return render(request, "sandbox/wallet/withdraw.html", context, status=status)


def asset_terms(offering: Offering, owner_id: int, rules: list[TransferRule]) -> list[AssetTerms]:
    accounts = {
        account.asset_id: account
        for account in selectors.wallet_accounts(offering_id=offering.pk, owner_id=owner_id)
    }
    terms = []
    for rule in rules:
        account = accounts.get(rule.asset_code)
        available = account.available if account else Decimal(0)
        terms.append(
            AssetTerms(
                asset=rule.asset_code,
                name=account.asset.name if account else rule.asset_code,
                fee=plain(rule.withdrawal_fee),
                minimum=plain(rule.withdrawal_minimum),
                available=plain(available),
                most=plain(max(available - rule.withdrawal_fee, Decimal(0))),
            )
        )
    return terms


def requested_message(withdrawal: Withdrawal) -> str:
    return _(
        "Withdrawal #%(id)s requested: %(amount)s %(asset)s to %(address)s. %(total)s %(asset)s "
        "(with the %(fee)s fee) is locked in your wallet until the exchange's transfer is mined."
    ) % {
        "id": withdrawal.pk,
        "amount": plain(withdrawal.amount),
        "asset": withdrawal.asset_id,
        "address": withdrawal.to_address,
        "total": plain(withdrawal.total),
        "fee": plain(withdrawal.fee),
    }


# -- helpers -----------------------------------------------------------------------------------


def required_confirmations(offering: Offering) -> int:
    """The offering's setting as a student sees it: 0 and 1 both credit once mined."""
    return max(transfer_settings(offering.pk).confirmations, 1)


def asset_names() -> dict[str, str]:
    return dict(Asset.objects.values_list("code", "name"))


def withdrawable_rules(offering: Offering) -> list[TransferRule]:
    return [rule for rule in transfer_rules(offering.pk) if rule.withdrawable]


def live_config(offering: Offering) -> dict:
    """What static/js/transfers.js needs, translated here."""
    return {
        "socket": SOCKET_PATH,
        "offering": offering.pk,
        "row": reverse("wallet-transfer-row", args=[offering.slug, "KIND", 0]),
        "live": _("Live: changes appear here as they happen."),
        "offline": _("Reconnecting… reload the page to see the latest state."),
        "announce": _("{kind} #{id}: {status}"),
        "kinds": {"deposit": _("Deposit"), "withdrawal": _("Withdrawal")},
        "labels": {str(k): str(v) for k, v in STATE_LABELS.items()},
        "copied": _("Copied"),
        "copyFailed": _("Select the text and copy it by hand."),
        "watched": _("Your wallet now shows this token."),
        "noWallet": _(
            "No browser wallet found: add the token by hand with the address and decimals."
        ),
        "refused": _("Your wallet did not add the token:"),
    }


def history_url(offering: Offering) -> str:
    return reverse("wallet-transfers", args=[offering.slug])


def _member_offering(request: HttpRequest, slug: str) -> Offering:
    """The offering, for one of its members, whose wallet is opened on the first visit (as the
    exchange's pages do)."""
    offering = member_offering_or_404(request, slug)
    if not selectors.has_wallet(offering_id=offering.pk, owner_id=request.user.pk):
        open_wallet(offering_id=offering.pk, owner_id=request.user.pk)
    return offering


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
