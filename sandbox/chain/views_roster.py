"""The instructors' "Students' chains" page: the offering's students with their chains' states;
it resets one or every chain, opens and discards throwaway forks, and allows or refuses cheat
methods. Same rules as My chain (views_mychain.py): POSTs, confirmation pages for what loses
something, refusals as messages with nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.api import Offering
from sandbox.access import managed_offering_or_404
from sandbox.chain import selectors, services
from sandbox.chain.forms import CheatsForm, first_error
from sandbox.chain.models import Chain
from sandbox.chain.views_mychain import Confirm, reported, rpc_url, script_strings

MAX_PROBLEMS_SHOWN = 10

# -- the instructors' page ---------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def roster(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    forks = [
        (fork, *(rpc_url(request, fork) if fork.owner_id == request.user.pk else ("", "")))
        for fork in selectors.open_forks(offering.pk)
    ]
    context = {
        "offering": offering,
        "rows": selectors.roster(offering.pk),
        "forks": forks,
        "cheats_allowed": selectors.cheats_allowed(offering.pk),
        "script_strings": script_strings(),
    }
    return render(request, "sandbox/chain/roster.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def roster_reset(request: HttpRequest, slug: str, chain_id: int) -> HttpResponse:
    offering, chain = _managed_and_student_chain(request, slug, chain_id)
    student = chain.owner.shown_name
    if request.method == "GET":
        return _confirm_roster(
            request,
            offering,
            title=_("Reset %(student)s's chain to genesis?") % {"student": student},
            explanation=_(
                "Every block, transaction and contract on it is removed, for good. The chain "
                "keeps its id, its RPC URL and its ten funded accounts; the student's snapshots "
                "are kept, so they can go back to one."
            ),
            action=reverse("chain-roster-reset", args=[offering.slug, chain.pk]),
            yes=_("Yes, reset it"),
        )
    with reported(request):
        services.reset_chain(chain=chain)
        messages.success(
            request, _("%(student)s's chain is back at genesis.") % {"student": student}
        )
    return redirect(roster_url(offering))


@never_cache
@login_required
@require_POST
def roster_fork(request: HttpRequest, slug: str, chain_id: int) -> HttpResponse:
    offering, chain = _managed_and_student_chain(request, slug, chain_id)
    with reported(request):
        services.open_fork(chain=chain, opened_by_id=request.user.pk)
        messages.success(
            request,
            _("A fork of %(student)s's chain is open: its RPC URL is under “Open forks”.")
            % {"student": chain.owner.shown_name},
        )
    return redirect(roster_url(offering) + "#forks")


@never_cache
@login_required
@require_POST
def roster_discard(request: HttpRequest, slug: str, fork_id: int) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    fork = selectors.fork(offering.pk, fork_id)
    if fork is None:
        raise Http404("No such fork in this offering.")
    with reported(request):
        services.discard_fork(fork=fork)
        messages.success(
            request,
            _("The fork of %(student)s's chain is discarded.")
            % {"student": fork.forked_from.owner.shown_name},
        )
    return redirect(roster_url(offering) + "#forks")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def roster_reset_all(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    if request.method == "GET":
        return _confirm_roster(
            request,
            offering,
            title=_("Reset every student's chain in this offering?"),
            explanation=_(
                "Every chain that has ever run goes back to genesis: all blocks, transactions "
                "and contracts are removed, for good. Chains keep their ids, RPC URLs and funded "
                "accounts; students' snapshots are kept. Chains never started are already at "
                "genesis and are left alone."
            ),
            action=reverse("chain-roster-reset-all", args=[offering.slug]),
            yes=_("Yes, reset every chain"),
        )
    done, problems = services.reset_offering_chains(offering_id=offering.pk)
    messages.success(
        request,
        ngettext("%(count)d chain reset.", "%(count)d chains reset.", done) % {"count": done},
    )
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        messages.error(request, _("Not reset: %(problem)s") % {"problem": problem})
    if len(problems) > MAX_PROBLEMS_SHOWN:
        hidden = len(problems) - MAX_PROBLEMS_SHOWN
        messages.error(request, _("…and %(count)d more not reset.") % {"count": hidden})
    return redirect(roster_url(offering))


@never_cache
@login_required
@require_POST
def roster_cheats(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    form = CheatsForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(roster_url(offering))
    services.set_cheats_allowed(offering_id=offering.pk, allowed=form.allowed)
    if form.allowed:
        messages.success(request, _("Cheat methods are allowed on this offering's chains."))
    else:
        messages.success(request, _("Cheat methods are refused on this offering's chains."))
    return redirect(roster_url(offering) + "#cheats")


def roster_url(offering: Offering) -> str:
    return reverse("chain-roster", args=[offering.slug])


def _managed_and_student_chain(
    request: HttpRequest, slug: str, chain_id: int
) -> tuple[Offering, Chain]:
    offering = managed_offering_or_404(request, slug)
    chain = selectors.student_chain(offering.pk, chain_id)
    if chain is None:
        raise Http404("No such student chain in this offering.")
    return offering, chain


def _confirm_roster(request: HttpRequest, offering: Offering, **question: str) -> HttpResponse:
    crumbs = [(_("Students' chains"), roster_url(offering))]
    confirm = Confirm(back=roster_url(offering), crumbs=crumbs, **question)
    return render(
        request, "sandbox/chain/roster_confirm.html", {"confirm": confirm, "offering": offering}
    )


urlpatterns = [
    path("offerings/<slug:slug>/chains/", roster, name="chain-roster"),
    path(
        "offerings/<slug:slug>/chains/<int:chain_id>/reset/",
        roster_reset,
        name="chain-roster-reset",
    ),
    path(
        "offerings/<slug:slug>/chains/<int:chain_id>/fork/", roster_fork, name="chain-roster-fork"
    ),
    path(
        "offerings/<slug:slug>/chains/forks/<int:fork_id>/discard/",
        roster_discard,
        name="chain-roster-discard",
    ),
    path(
        "offerings/<slug:slug>/chains/reset-all/", roster_reset_all, name="chain-roster-reset-all"
    ),
    path("offerings/<slug:slug>/chains/cheats/", roster_cheats, name="chain-roster-cheats"),
]
