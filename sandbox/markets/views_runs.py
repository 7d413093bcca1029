"""The control page's buttons: pause, resume, set the speed of and stop the offering's scenario
run, and halt or resume one of its markets. Each is a POST that calls one service and returns to
the control page with what happened, or the service's reason for refusing. Stopping asks first,
on the control page itself (a GET), so it needs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from campus.errors import ServiceError
from courses.api import Offering
from sandbox.access import managed_offering_or_404
from sandbox.markets import selectors
from sandbox.markets.forms import SpeedForm
from sandbox.markets.models import ScenarioRun
from sandbox.markets.services import (
    pause_run,
    reset_cohort_wallets,
    resume_run,
    set_market_trading,
    set_speed,
    stop_run,
)
from sandbox.markets.views import control_url, render_control

MAX_PROBLEMS_SHOWN = 10


@never_cache
@login_required
@require_POST
def pause(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    return _on_run(request, slug, run_id, lambda run: pause_run(run_id=run.pk), _("Paused."))


@never_cache
@login_required
@require_POST
def resume(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    return _on_run(request, slug, run_id, lambda run: resume_run(run_id=run.pk), _("Resumed."))


@never_cache
@login_required
@require_POST
def speed(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    form = SpeedForm(request.POST)
    if not form.is_valid():
        offering = managed_offering_or_404(request, slug)
        _run_or_404(offering, run_id)
        messages.error(request, _("Enter the speed as a number from 1 to 100."))
        return redirect(control_url(offering))
    wanted = form.cleaned_data["speed"]
    return _on_run(
        request,
        slug,
        run_id,
        lambda run: set_speed(run_id=run.pk, speed=wanted),
        _("Speed set to %s×.") % f"{wanted:g}",
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    """GET asks for confirmation; POST stops the run."""
    if request.method == "GET":
        offering = managed_offering_or_404(request, slug)
        return render_control(request, offering, confirming_stop=_run_or_404(offering, run_id))
    return _on_run(
        request,
        slug,
        run_id,
        lambda run: stop_run(run_id=run.pk),
        _("Stopped. The bots took their orders out and every market trades again."),
    )


@never_cache
@login_required
@require_POST
def halt_market(request: HttpRequest, slug: str, symbol: str) -> HttpResponse:
    return _market_status(request, slug, symbol, trading=False)


@never_cache
@login_required
@require_POST
def resume_market(request: HttpRequest, slug: str, symbol: str) -> HttpResponse:
    return _market_status(request, slug, symbol, trading=True)


def _market_status(request: HttpRequest, slug: str, symbol: str, *, trading: bool) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    try:
        set_market_trading(offering_id=offering.pk, symbol=symbol, trading=trading)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        done = _("%s trades again.") if trading else _("%s is halted: no orders are accepted.")
        messages.success(request, done % symbol)
    return redirect(control_url(offering) + "#markets-title")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reset_wallets(request: HttpRequest, slug: str) -> HttpResponse:
    """GET asks for confirmation; POST puts every student's wallet back to the starting grant."""
    offering = managed_offering_or_404(request, slug)
    if request.method == "GET":
        return render_control(request, offering, confirming_reset=True)
    done, problems = reset_cohort_wallets(offering_id=offering.pk)
    messages.success(
        request,
        ngettext(
            "%(count)d wallet is back to the starting grant.",
            "%(count)d wallets are back to the starting grant.",
            done,
        )
        % {"count": done},
    )
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        messages.error(request, problem)
    return redirect(control_url(offering) + "#markets-title")


def _on_run(
    request: HttpRequest,
    slug: str,
    run_id: int,
    action: Callable[[ScenarioRun], object],
    done: str,
) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    run = _run_or_404(offering, run_id)
    try:
        action(run)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(control_url(offering))


def _run_or_404(offering: Offering, run_id: int) -> ScenarioRun:
    run = selectors.offering_run(offering.pk, run_id)
    if run is None:
        raise Http404("No such run in this offering.")
    return run
