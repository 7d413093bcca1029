"""Forms for the markets control page. They parse what was typed into Python values; what is
allowed (a known scenario, a speed in range, a competition that ends after it starts) is the
services' to say, so the page shows their messages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sandbox.markets.catalogue import shipped_scenarios

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _speed_field(**kwargs) -> forms.FloatField:
    return forms.FloatField(
        label=_("Speed"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 100, "step": "any"}),
        **kwargs,
    )


class StartScenarioForm(forms.Form):
    scenario = forms.CharField(label=_("Scenario"), widget=forms.Select)
    speed = _speed_field(
        initial=1,
        help_text=_("Simulated seconds per real second, from 1 to 100."),
    )
    seed = forms.IntegerField(
        label=_("Seed (optional)"),
        required=False,
        help_text=_(
            "To replay a session, enter the seed of an earlier run; leave empty for a new one."
        ),
    )

    replay_series = forms.TypedChoiceField(
        label=_("Replay a price series (optional)"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("An uploaded series replaces the script's price model on the market below."),
    )
    replay_market = forms.ChoiceField(label=_("On market"), required=False)

    def __init__(self, *args, series=(), markets=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scenario"].widget.choices = [
            (slug, scenario.title) for slug, (scenario, _text) in shipped_scenarios().items()
        ]
        self.fields["replay_series"].choices = [("", _("None"))] + [(s.pk, s.name) for s in series]
        self.fields["replay_market"].choices = [(m.symbol, m.symbol) for m in markets]

    def replay(self) -> tuple[str, int] | None:
        series = self.cleaned_data.get("replay_series")
        return (self.cleaned_data["replay_market"], series) if series else None


class PriceSeriesForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Rows of timestamp,price (ISO 8601 or Unix seconds, increasing), prices in the "
            "market's quote currency; a header row is allowed."
        ),
    )


class SpeedForm(forms.Form):
    speed = _speed_field()


class CompetitionForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), required=False, widget=forms.TextInput(attrs={"maxlength": 200})
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
