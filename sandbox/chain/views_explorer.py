"""The explorer: the student's own chain, block by block, with their contracts' calls and events
decoded. Reads only (`explorer.py`); a chain that cannot start, or an unknown block, transaction
or address, is a page that says so (503, 404), never an error page."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from courses.api import Offering
from sandbox.access import member_offering_or_404
from sandbox.chain import explorer
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain
from sandbox.chain.services import open_chain

TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
BLOCK_NUMBER = re.compile(r"^\d{1,12}$")
UNREADABLE = (ChainUnavailable, OSError)


@login_required
@require_GET
def explorer_home(request: HttpRequest, slug: str) -> HttpResponse:
    offering, chain = _offering_and_chain(request, slug)
    query = request.GET.get("q", "").strip()
    search_error = ""
    if query:
        target = _search_target(offering, query)
        if target:
            return redirect(target)
        search_error = _(
            "“%(query)s” is not a block number, a transaction hash (0x and 64 hex digits) or an "
            "address (0x and 40 hex digits)."
        ) % {"query": query[:80]}
    try:
        blocks = explorer.latest_blocks(chain)
    except UNREADABLE as error:
        return _problem(request, offering, str(error), status=503)
    context = {"offering": offering, "blocks": blocks, "query": query, "search_error": search_error}
    return render(
        request, "sandbox/chain/explorer.html", context, status=400 if search_error else 200
    )


@login_required
@require_GET
def block_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    offering, chain = _offering_and_chain(request, slug)
    try:
        block = explorer.block_detail(chain, number)
    except UNREADABLE as error:
        return _problem(request, offering, str(error), status=503)
    if block is None:
        message = _("Your chain has no block %(number)s yet.") % {"number": number}
        return _problem(request, offering, message, status=404)
    context = {"offering": offering, "shown": block}
    return render(request, "sandbox/chain/explorer_block.html", context)


@login_required
@require_GET
def transaction_page(request: HttpRequest, slug: str, tx_hash: str) -> HttpResponse:
    offering, chain = _offering_and_chain(request, slug)
    if not TX_HASH.match(tx_hash):
        return _problem(request, offering, _not_a_hash(tx_hash), status=404)
    try:
        tx = explorer.transaction_detail(chain, tx_hash)
        block_number = None if tx else explorer.block_number_of_hash(chain, tx_hash)
    except UNREADABLE as error:
        return _problem(request, offering, str(error), status=503)
    if block_number is not None:
        return redirect("chain-block", offering.slug, block_number)
    if tx is None:
        message = _("Your chain has no transaction or block with the hash %(hash)s.") % {
            "hash": tx_hash
        }
        return _problem(request, offering, message, status=404)
    context = {"offering": offering, "tx": tx}
    return render(request, "sandbox/chain/explorer_tx.html", context)


@login_required
@require_GET
def address_page(request: HttpRequest, slug: str, address: str) -> HttpResponse:
    offering, chain = _offering_and_chain(request, slug)
    if not ADDRESS.match(address):
        message = _("%(text)s is not an address: an address is 0x and 40 hex digits.") % {
            "text": address[:80]
        }
        return _problem(request, offering, message, status=404)
    try:
        detail = explorer.address_detail(chain, address)
    except UNREADABLE as error:
        return _problem(request, offering, str(error), status=503)
    context = {"offering": offering, "detail": detail, "scan_size": explorer.SCAN_BLOCKS}
    return render(request, "sandbox/chain/explorer_address.html", context)


urlpatterns = [
    path("offerings/<slug:slug>/chain/explorer/", explorer_home, name="chain-explorer"),
    path(
        "offerings/<slug:slug>/chain/explorer/block/<int:number>/", block_page, name="chain-block"
    ),
    path(
        "offerings/<slug:slug>/chain/explorer/tx/<str:tx_hash>/",
        transaction_page,
        name="chain-tx",
    ),
    path(
        "offerings/<slug:slug>/chain/explorer/address/<str:address>/",
        address_page,
        name="chain-address",
    ),
]


def _offering_and_chain(request: HttpRequest, slug: str) -> tuple[Offering, Chain]:
    offering = member_offering_or_404(request, slug)
    return offering, open_chain(offering_id=offering.pk, owner_id=request.user.pk)


def _search_target(offering: Offering, query: str) -> str | None:
    query = query.replace(",", "").replace("_", "")
    if BLOCK_NUMBER.match(query):
        return reverse("chain-block", args=[offering.slug, int(query)])
    if TX_HASH.match(query):
        return reverse("chain-tx", args=[offering.slug, query.lower()])
    if ADDRESS.match(query):
        return reverse("chain-address", args=[offering.slug, query])
    return None


def _not_a_hash(text: str) -> str:
    return _("%(text)s is not a transaction hash: a hash is 0x and 64 hex digits.") % {
        "text": text[:80]
    }


def _problem(request: HttpRequest, offering: Offering, message: str, *, status: int):
    context = {"offering": offering, "problem": message, "status": status}
    return render(request, "sandbox/chain/explorer_problem.html", context, status=status)
