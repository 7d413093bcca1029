"""Forms for the instructor's pages. They parse what was typed into Python values; what is
allowed (a hard deadline after the due date, points within the exercise's maximum, a reason) is
the services' to say, so the pages show the services' messages.

Dates and times are typed in the offering's time zone (the view activates it) with the browser's
`datetime-local` input.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_FORMATS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)

    def format_value(self, value):
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value)
        return super().format_value(value)


def _when(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput, **kwargs
    )


class DeadlineForm(forms.Form):
    opens_at = _when(_("Opens"), required=False)
    due_at = _when(_("Due"), required=False)
    hard_deadline_at = _when(_("Hard deadline"), required=False)
    late_penalty_percent_per_day = forms.DecimalField(
        label=_("Late penalty (% per day)"),
        max_digits=6,
        decimal_places=2,
        initial=0,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.01", "class": "penalty"}),
    )

    def __init__(self, *args, html_form: str = "", editable: bool = True, **kwargs) -> None:
        """`html_form`: the id of the <form> its inputs belong to (each row of the deadlines
        table is a form, and a form cannot wrap a table row); `editable`: False for a TA."""
        super().__init__(*args, **kwargs)
        for bound_field in self.fields.values():
            if html_form:
                bound_field.widget.attrs["form"] = html_form
            bound_field.disabled = not editable


class OverrideForm(forms.Form):
    points = forms.DecimalField(
        label=_("Points"),
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        help_text=_("Kept with the grade; the student's record shows it."),
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )


class ExtensionForm(forms.Form):
    until = _when(_("Until"))
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )


class LessonTextForm(forms.Form):
    title = forms.CharField(label=_("Title"), widget=forms.TextInput(attrs={"maxlength": 200}))
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "true"}),
    )


class ExerciseTextForm(forms.Form):
    title = forms.CharField(label=_("Title"), widget=forms.TextInput(attrs={"maxlength": 200}))
    prompt = forms.CharField(
        label=_("Prompt (Markdown)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "true"}),
    )
    points = forms.IntegerField(
        label=_("Points"),
        help_text=_("The same in every language."),
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    max_attempts = forms.IntegerField(
        label=_("Attempts allowed"),
        required=False,
        help_text=_("Empty for no limit. The same in every language."),
        widget=forms.NumberInput(attrs={"min": 1}),
    )
