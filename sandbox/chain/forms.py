"""The chain pages' forms: they only parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sandbox.chain.models import Snapshot

LABEL_MAX = Snapshot._meta.get_field("label").max_length


class SnapshotForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=LABEL_MAX,
        required=False,
        help_text=_("Optional, to recognise it later: “before the exercise”, “token deployed”."),
    )


class CheatsForm(forms.Form):
    """Allow or refuse cheat methods: an explicit choice, so a stale page cannot flip it back."""

    cheats = forms.ChoiceField(choices=[("allow", _("Allow")), ("refuse", _("Refuse"))])

    @property
    def allowed(self) -> bool:
        return self.cleaned_data["cheats"] == "allow"


def first_error(form: forms.Form) -> str:
    """The form's first complaint, in one line, for a flash message."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return ""
