"""The instructor's proof of reserves and the offering's deposit and withdrawal desk settings.

For each withdrawable asset: what the ledger owes for deposits and to users, against what the
exchange's addresses hold on the students' chains (`sandbox.chain.api.onchain_reserves`: as the
deposit watcher last read each chain, so the page needs no chain to answer; it says how fresh
that is). Below, the credited-then-reverted deposits, and the forms that halt or resume
withdrawals, set the confirmations and each asset's fee and minimum. Every form posts to a
service and redirects back with a message; a refusal re-renders the page with it (HTTP 400).
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
from django.views.decorators.http import require_GET, require_POST

from campus.errors import ServiceError
from courses.api import Offering
from sandbox.access import managed_offering_or_404
from sandbox.wallet.forms import AssetRuleForm, ConfirmationsForm, HaltForm, plain
from sandbox.wallet.models import Asset, Deposit
from sandbox.wallet.reserves import ReserveLine, reserve_lines
from sandbox.wallet.transfer_settings import (
    set_asset_rule,
    set_confirmations,
    set_withdrawals_halted,
)
from sandbox.wallet.transfers_selectors import (
    TransferRule,
    flagged_deposits,
    transfer_rules,
    transfer_settings,
)
from sandbox.wallet.views_desk import onchain_holdings, short_hex


@never_cache
@login_required
@require_GET
def reserves(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    return _render(request, offering)


@login_required
@require_POST
def halt(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    form = HaltForm(request.POST)
    if not form.is_valid():
        return _render(request, offering, halt_form=form, status=400)
    halted = form.cleaned_data["halted"]
    try:
        set_withdrawals_halted(
            offering_id=offering.pk, halted=halted, reason=form.cleaned_data["reason"].strip()
        )
    except ServiceError as error:
        return _render(request, offering, halt_form=form, refusal=error, status=400)
    if halted:
        messages.success(request, _("Withdrawals are halted: students see your reason."))
    else:
        messages.success(request, _("Withdrawals are open again."))
    return redirect(reserves_url(offering) + "#desk")


@login_required
@require_POST
def confirmations(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    form = ConfirmationsForm(request.POST)
    if not form.is_valid():
        return _render(request, offering, confirmations_form=form, status=400)
    count = form.cleaned_data["confirmations"]
    try:
        set_confirmations(offering_id=offering.pk, confirmations=count)
    except ServiceError as error:
        return _render(request, offering, confirmations_form=form, refusal=error, status=400)
    messages.success(
        request, _("Deposits are now credited after %(count)s confirmations.") % {"count": count}
    )
    return redirect(reserves_url(offering) + "#desk")


@login_required
@require_POST
def asset_rule(request: HttpRequest, slug: str, asset: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    if asset not in {rule.asset_code for rule in _withdrawable(offering)}:
        raise Http404("No such withdrawable asset.")
    form = AssetRuleForm(request.POST, prefix=asset)
    if not form.is_valid():
        return _render(request, offering, rule_form=(asset, form), status=400)
    try:
        set_asset_rule(offering_id=offering.pk, asset_code=asset, **form.cleaned_data)
    except ServiceError as error:
        return _render(request, offering, rule_form=(asset, form), refusal=error, status=400)
    messages.success(
        request,
        _("%(asset)s: withdrawal fee %(fee)s, minimum %(minimum)s.")
        % {
            "asset": asset,
            "fee": plain(form.cleaned_data["withdrawal_fee"]),
            "minimum": plain(form.cleaned_data["withdrawal_minimum"]),
        },
    )
    return redirect(reserves_url(offering) + f"#rule-{asset}")


# -- the page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReserveRow:
    asset: str
    name: str
    owed_for_deposits: str
    owed_to_users: str
    unbacked: str  # what users hold beyond what was deposited: grants, bots' funds
    onchain: str
    difference: str
    verdict: str  # "ok" when the difference is 0, "off" otherwise
    verdict_words: str


@dataclass(frozen=True)
class RuleForm:
    asset: str
    form: AssetRuleForm


@dataclass(frozen=True)
class FlaggedRow:
    student: str
    student_url: str
    asset: str
    amount: str
    chain_id: int
    tx_hash: str
    tx_short: str
    block: int
    credited_at: object
    reverted_at: object


def _render(
    request: HttpRequest,
    offering: Offering,
    *,
    halt_form: HaltForm | None = None,
    confirmations_form: ConfirmationsForm | None = None,
    rule_form: tuple[str, AssetRuleForm] | None = None,
    refusal: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    settings = transfer_settings(offering.pk)
    rules = _withdrawable(offering)
    holdings = onchain_holdings(offering)
    lines = reserve_lines(offering_id=offering.pk, onchain=holdings.onchain)
    context = {
        "offering": offering,
        "settings": settings,
        "lines": reserve_rows(lines),
        "holdings": holdings,
        "flagged": [flagged_row(offering, d) for d in flagged_deposits(offering.pk)],
        "halt_form": halt_form
        or HaltForm(initial={"halted": "0" if settings.withdrawals_halted else "1"}),
        "confirmations_form": confirmations_form
        or ConfirmationsForm(initial={"confirmations": settings.confirmations}),
        "rule_forms": rule_forms(rules, rule_form),
        "refusal": refusal,
    }
    return render(request, "sandbox/wallet/reserves.html", context, status=status)


def reserve_rows(lines: list[ReserveLine]) -> list[ReserveRow]:
    names = dict(Asset.objects.values_list("code", "name"))
    rows = []
    for line in lines:
        reconciled = line.difference == 0
        rows.append(
            ReserveRow(
                asset=line.asset_code,
                name=names.get(line.asset_code, ""),
                owed_for_deposits=plain(line.owed_for_deposits),
                owed_to_users=plain(line.owed_to_users),
                unbacked=plain(line.owed_to_users - line.owed_for_deposits)
                if line.owed_to_users != line.owed_for_deposits
                else "",
                onchain=plain(line.onchain),
                difference=_signed(line.difference),
                verdict="ok" if reconciled else "off",
                verdict_words=_("reconciled") if reconciled else _("does not reconcile"),
            )
        )
    return rows


def rule_forms(
    rules: list[TransferRule], bound: tuple[str, AssetRuleForm] | None
) -> list[RuleForm]:
    forms = []
    for rule in rules:
        if bound is not None and bound[0] == rule.asset_code:
            forms.append(RuleForm(rule.asset_code, bound[1]))
            continue
        initial = {
            "withdrawal_fee": plain(rule.withdrawal_fee),
            "withdrawal_minimum": plain(rule.withdrawal_minimum),
            "deposits_enabled": rule.deposits_enabled,
        }
        forms.append(
            RuleForm(rule.asset_code, AssetRuleForm(initial=initial, prefix=rule.asset_code))
        )
    return forms


def flagged_row(offering: Offering, deposit: Deposit) -> FlaggedRow:
    return FlaggedRow(
        student=deposit.owner.shown_name,
        student_url=reverse("sandbox-student-activity", args=[offering.slug, deposit.owner_id]),
        asset=deposit.asset_id,
        amount=plain(deposit.amount),
        chain_id=deposit.chain_id,
        tx_hash=deposit.tx_hash,
        tx_short=short_hex(deposit.tx_hash),
        block=deposit.block_number,
        credited_at=deposit.credited_at,
        reverted_at=deposit.reverted_at,
    )


def reserves_url(offering: Offering) -> str:
    return reverse("wallet-reserves", args=[offering.slug])


def _withdrawable(offering: Offering) -> list[TransferRule]:
    return [rule for rule in transfer_rules(offering.pk) if rule.withdrawable]


def _signed(amount: Decimal) -> str:
    if not amount:
        return "0"
    return ("+" if amount > 0 else "−") + plain(abs(amount))
