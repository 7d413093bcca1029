"""A student's "My chain" page (the instructors' "Students' chains" page is views_roster.py).

My chain shows how to reach the student's own chain (RPC URL, chain id, a wallet's network
settings), its funded test accounts with their balances, and its snapshots; it takes and reverts
snapshots, resets to genesis and rotates the RPC URL.

Everything works without JavaScript: each action is a POST, and those that lose something (revert,
reset, rotate) are asked on a confirmation page first (GET). A refusal (ServiceError) or a chain
host that cannot act (ChainUnavailable) comes back as a message, with nothing changed.
`static/js/chain-mine.js` adds copy buttons and the wallet's "Add network" request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campus.errors import ServiceError
from courses.api import Offering, course_title
from sandbox.access import member_offering_or_404
from sandbox.chain import selectors, services
from sandbox.chain.anvil import student_mnemonic
from sandbox.chain.forms import SnapshotForm, first_error
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain

MAX_PROBLEMS_SHOWN = 10


@dataclass(frozen=True)
class Confirm:
    """What a confirmation page asks: the question, what it will do, and the two ways out."""

    title: str
    explanation: str
    action: str
    yes: str
    back: str
    crumbs: list[tuple[str, str]]  # after Home › the course, which the page adds itself


@contextmanager
def reported(request: HttpRequest) -> Iterator[None]:
    """Turn a service's refusal or an unavailable chain into a message for the next page."""
    try:
        yield
    except ServiceError as error:
        messages.error(request, error.message)
    except ChainUnavailable as error:
        messages.error(request, str(error))


# -- the student's page ------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def my_chain(request: HttpRequest, slug: str) -> HttpResponse:
    offering, chain = _member_and_chain(request, slug)
    accounts = selectors.dev_accounts(chain)
    balances, unavailable = _balances(chain, [a.address for a in accounts])
    chain.refresh_from_db()  # reading the balances may have started (or failed) the node
    http_url, url_problem = rpc_url(request, chain)
    context = {
        "offering": offering,
        "chain": chain,
        "http_url": http_url,
        "ws_url": websocket_url(http_url),
        "url_problem": url_problem,
        "accounts": list(zip(accounts, balances or [None] * len(accounts), strict=True)),
        "unavailable": unavailable,
        "mnemonic": student_mnemonic(offering_id=offering.pk, owner_id=request.user.pk),
        "snapshots": selectors.snapshots(chain),
        "snapshot_form": SnapshotForm(),
        "script_strings": script_strings(),
    }
    network = wallet_network(offering, chain, http_url) if http_url else None
    context |= {"wallet_network": network, "wallet_json": wallet_network_json(network)}
    return render(request, "sandbox/chain/mychain.html", context)


@never_cache
@login_required
@require_POST
def take_snapshot(request: HttpRequest, slug: str) -> HttpResponse:
    offering, chain = _member_and_chain(request, slug)
    form = SnapshotForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(mine_url(offering))
    with reported(request):
        snapshot = services.take_snapshot(chain=chain, label=form.cleaned_data["label"])
        messages.success(
            request,
            _("Snapshot “%(name)s” taken at block %(block)s.")
            % {"name": snapshot, "block": snapshot.block_number},
        )
    return redirect(mine_url(offering) + "#snapshots")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def revert(request: HttpRequest, slug: str, snapshot_id: int) -> HttpResponse:
    offering, chain = _member_and_chain(request, slug)
    snapshot = selectors.snapshots(chain).filter(pk=snapshot_id).first()
    if snapshot is None:
        raise Http404("No such snapshot of your chain.")
    if request.method == "GET":
        return _confirm_mine(
            request,
            offering,
            title=_("Go back to “%(name)s”?") % {"name": snapshot},
            explanation=_(
                "Your chain returns to block %(block)s, as it was when you took this snapshot. "
                "Everything after it (transactions, deployed contracts, balances) is undone. "
                "Your other snapshots are kept."
            )
            % {"block": snapshot.block_number},
            action=reverse("chain-revert", args=[offering.slug, snapshot.pk]),
            yes=_("Yes, go back"),
        )
    with reported(request):
        services.revert_to_snapshot(snapshot=snapshot)
        messages.success(
            request,
            _("Your chain is back at “%(name)s” (block %(block)s).")
            % {"name": snapshot, "block": snapshot.block_number},
        )
    return redirect(mine_url(offering))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest, slug: str) -> HttpResponse:
    offering, chain = _member_and_chain(request, slug)
    if request.method == "GET":
        return _confirm_mine(
            request,
            offering,
            title=_("Reset your chain to genesis?"),
            explanation=_(
                "Every block, transaction and contract on it is removed. The chain keeps its "
                "id, its RPC URL and its ten accounts, each funded again with 1,000 ETH. Your "
                "snapshots are kept."
            ),
            action=reverse("chain-reset", args=[offering.slug]),
            yes=_("Yes, reset it"),
        )
    with reported(request):
        services.reset_chain(chain=chain)
        messages.success(request, _("Your chain is back at genesis: block 0."))
    return redirect(mine_url(offering))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def rotate(request: HttpRequest, slug: str) -> HttpResponse:
    offering, chain = _member_and_chain(request, slug)
    if request.method == "GET":
        return _confirm_mine(
            request,
            offering,
            title=_("Give your chain a new RPC URL?"),
            explanation=_(
                "The current URL stops working: wallets, scripts and tools that use it must be "
                "given the new one. Do this if someone else may have seen your URL. Your chain "
                "itself is not changed."
            ),
            action=reverse("chain-rotate", args=[offering.slug]),
            yes=_("Yes, give it a new URL"),
        )
    with reported(request):
        services.rotate_token(chain=chain)
        messages.success(request, _("Your chain has a new RPC URL: the old one no longer works."))
    return redirect(mine_url(offering))


def script_strings() -> dict[str, str]:
    """What static/js/chain-mine.js says, translated here."""
    return {
        "copied": _("Copied"),
        "copyFailed": _("Select the text and copy it by hand."),
        "added": _("Your wallet now knows this network."),
        "noWallet": _("No browser wallet found: enter these settings in your wallet by hand."),
        "refused": _("Your wallet did not add the network:"),
    }


def mine_url(offering: Offering) -> str:
    return reverse("chain-mine", args=[offering.slug])


def websocket_url(http_url: str) -> str:
    if http_url.startswith("https://"):
        return "wss://" + http_url.removeprefix("https://")
    if http_url.startswith("http://"):
        return "ws://" + http_url.removeprefix("http://")
    return ""


def wallet_network(offering: Offering, chain: Chain, http_url: str) -> dict:
    """EIP-3085 `wallet_addEthereumChain` parameters for a browser wallet (MetaMask and others)."""
    return {
        "chainId": hex(chain.chain_id),
        "chainName": _("BlockCampus · %(course)s") % {"course": course_title(offering)},
        "rpcUrls": [http_url],
        "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
    }


def wallet_network_json(network: dict | None) -> str:
    return json.dumps(network, indent=2, ensure_ascii=False) if network else ""


def _member_and_chain(request: HttpRequest, slug: str) -> tuple[Offering, Chain]:
    offering = member_offering_or_404(request, slug)
    return offering, services.open_chain(offering_id=offering.pk, owner_id=request.user.pk)


def eth_text(amount: Decimal) -> str:
    """1,000 or 999.999958: grouped thousands, no trailing zeros, never exponent notation."""
    return format(amount.normalize(), ",f")


def _balances(chain: Chain, addresses: list[str]) -> tuple[list[str] | None, str]:
    """The balances in ETH as text, or None and why they cannot be read now."""
    try:
        return [eth_text(b) for b in selectors.eth_balances(chain, addresses)], ""
    except ChainUnavailable as error:
        return None, str(error)
    except OSError as error:
        return None, _("Your chain's node did not answer (%s).") % error


def rpc_url(request: HttpRequest, chain: Chain) -> tuple[str, str]:
    try:
        return request.build_absolute_uri(services.rpc_path(chain)), ""
    except ServiceError as error:
        return "", error.message


def _confirm_mine(request: HttpRequest, offering: Offering, **question: str) -> HttpResponse:
    crumbs = [(_("My chain"), mine_url(offering))]
    confirm = Confirm(back=mine_url(offering), crumbs=crumbs, **question)
    return render(
        request, "sandbox/chain/mychain_confirm.html", {"confirm": confirm, "offering": offering}
    )


urlpatterns = [
    path("offerings/<slug:slug>/chain/", my_chain, name="chain-mine"),
    path("offerings/<slug:slug>/chain/snapshots/", take_snapshot, name="chain-snapshot"),
    path(
        "offerings/<slug:slug>/chain/snapshots/<int:snapshot_id>/revert/",
        revert,
        name="chain-revert",
    ),
    path("offerings/<slug:slug>/chain/reset/", reset, name="chain-reset"),
    path("offerings/<slug:slug>/chain/rotate/", rotate, name="chain-rotate"),
]
