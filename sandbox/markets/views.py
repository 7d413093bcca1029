"""The instructor's markets control page for an offering: the shipped scenarios with their
teaching notes and a form to start one, the run in progress with its clock and controls, the
offering's markets with halt and resume, the run's announcements, recent runs with their seeds (to
replay one), and the offering's competitions with a form to create one.

Only people who manage the offering get here; anyone else gets a 404. Every change is a POST to a
service; a refusal is shown with the service's own message and changes nothing. The run's
buttons are in `views_runs`, the leaderboard in `views_leaderboard`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campus.api import User
from campus.errors import ServiceError
from courses.api import Offering, OfferingLink, manageable_offerings, visible_offerings
from sandbox.access import managed_offering_or_404
from sandbox.markets import selectors
from sandbox.markets.catalogue import shipped_scenarios
from sandbox.markets.forms import CompetitionForm, PriceSeriesForm, SpeedForm, StartScenarioForm
from sandbox.markets.models import ScenarioRun
from sandbox.markets.notes import render_notes
from sandbox.markets.series import upload_price_series
from sandbox.markets.services import start_scenario
from sandbox.markets.services_competitions import create_competition


@never_cache
@login_required
@require_GET
def control(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    return render_control(request, offering, start_form=_replay_form(offering, request.GET))


@never_cache
@login_required
@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    form = start_form_for(offering, request.POST)
    if not form.is_valid():
        return render_control(request, offering, start_form=form, status=400)
    try:
        run = start_scenario(
            offering_id=offering.pk,
            scenario=form.cleaned_data["scenario"],
            started_by_id=request.user.pk,
            seed=form.cleaned_data["seed"],
            speed=form.cleaned_data["speed"],
            replay=form.replay(),
        )
    except ServiceError as error:
        return render_control(
            request, offering, start_form=form, start_error=error.message, status=400
        )
    messages.success(
        request,
        _("“%(title)s” is running, with seed %(seed)s.") % {"title": run.title, "seed": run.seed},
    )
    return redirect(control_url(offering))


@never_cache
@login_required
@require_POST
def add_competition(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    form = CompetitionForm(request.POST)
    if not form.is_valid():
        return render_control(request, offering, competition_form=form, status=400)
    try:
        competition = create_competition(offering_id=offering.pk, **form.cleaned_data)
    except ServiceError as error:
        return render_control(
            request, offering, competition_form=form, competition_error=error.message, status=400
        )
    messages.success(request, _("Competition “%(title)s” created.") % {"title": competition.title})
    return redirect(control_url(offering) + "#competitions-title")


def control_url(offering: Offering) -> str:
    return reverse("markets-control", args=[offering.slug])


def leaderboard_url(offering: Offering) -> str:
    return reverse("markets-leaderboard", args=[offering.slug])


def markets_offering_links(user: User, offering: Offering) -> list[OfferingLink]:
    """The leaderboard for the offering's members; the control page too for its managers."""
    if not user.is_authenticated:
        return []
    manages = manageable_offerings(user).filter(pk=offering.pk).exists()
    if not manages and not visible_offerings(user).filter(pk=offering.pk).exists():
        return []
    section = _("Sandbox")
    links = []
    if manages:
        links.append(
            OfferingLink(
                section,
                _("Markets control"),
                control_url(offering),
                _("Run market scenarios, halt markets and set up competitions."),
            )
        )
    links.append(
        OfferingLink(
            section,
            _("Leaderboard"),
            leaderboard_url(offering),
            _("Portfolio values, profit and loss, return and drawdown of everyone in the class."),
        )
    )
    return links


def render_control(
    request: HttpRequest,
    offering: Offering,
    *,
    start_form: StartScenarioForm | None = None,
    start_error: str = "",
    competition_form: CompetitionForm | None = None,
    competition_error: str = "",
    confirming_stop: ScenarioRun | None = None,
    confirming_reset: bool = False,
    series_form: PriceSeriesForm | None = None,
    series_error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    run = selectors.active_run(offering.pk)
    runs = selectors.recent_runs(offering.pk)
    shown_run = run or (runs[0] if runs else None)
    context = {
        "offering": offering,
        "confirming_reset": confirming_reset,
        "run": run,
        "clock": selectors.run_clock(run, now) if run else None,
        "speed_form": SpeedForm(initial={"speed": run.speed}) if run else None,
        "shown_run": shown_run,
        "run_announcements": selectors.run_announcements(shown_run.pk) if shown_run else [],
        "markets": selectors.offering_markets(offering.pk),
        "scenarios": _scenario_cards(),
        "start_form": start_form or start_form_for(offering),
        "series_form": series_form or PriceSeriesForm(),
        "series_error": series_error,
        "price_series": selectors.price_series(offering.pk),
        "start_error": start_error,
        "runs": runs,
        "competitions": [
            (c, selectors.competition_state(c, now)) for c in selectors.competitions(offering.pk)
        ],
        "competition_form": competition_form or CompetitionForm(),
        "competition_error": competition_error,
        "confirming_stop": confirming_stop,
    }
    return render(request, "sandbox/markets/control.html", context, status=status)


def _scenario_cards() -> list[dict]:
    return [
        {
            "slug": slug,
            "scenario": scenario,
            "markets": ", ".join(scenario.markets),
            "notes": render_notes(scenario.teaching_notes),
        }
        for slug, (scenario, _text) in shipped_scenarios().items()
    ]


def _replay_form(offering: Offering, query: QueryDict) -> StartScenarioForm:
    """The start form, filled in from a recent run's "Replay" link (?scenario=…&seed=…&speed=…)."""
    initial = {name: query[name] for name in ("scenario", "seed", "speed") if query.get(name)}
    return start_form_for(offering, initial=initial)


def start_form_for(offering: Offering, data=None, **kwargs) -> StartScenarioForm:
    return StartScenarioForm(
        data,
        series=selectors.price_series(offering.pk),
        markets=selectors.offering_markets(offering.pk),
        **kwargs,
    )


@never_cache
@login_required
@require_POST
def upload_series(request: HttpRequest, slug: str) -> HttpResponse:
    offering = managed_offering_or_404(request, slug)
    form = PriceSeriesForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_control(request, offering, series_form=form, status=400)
    try:
        text = form.cleaned_data["file"].read().decode("utf-8-sig")
        series = upload_price_series(
            offering_id=offering.pk,
            name=form.cleaned_data["name"],
            csv_text=text,
            uploaded_by_id=request.user.pk,
        )
    except UnicodeDecodeError:
        error = _("The file is not UTF-8 text: save it as CSV (UTF-8) and upload it again.")
        return render_control(request, offering, series_form=form, series_error=error, status=400)
    except ServiceError as refused:
        return render_control(
            request, offering, series_form=form, series_error=refused.message, status=400
        )
    messages.success(request, _("Price series “%s” uploaded.") % series.name)
    return redirect(control_url(offering) + "#series")
