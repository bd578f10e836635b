"""The workspace's forms: they parse what a person typed; the services decide (and their refusals are
shown next to the field they name). Forms that change a record carry the version they were based on
and the values the person saw (`base`, signed), so that a save over someone else's shows what changed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from registry.countries import country_form_choices
from registry.models import AgreementKind, AgreementStatus, Direction, ExchangeCategory

_SALT = "registry.workspace.base"

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def sign_base(values: dict[str, Any]) -> str:
    """The values a form was based on, signed (the person cannot change what they claim to have seen)."""
    return signing.dumps(values, salt=_SALT, compress=True)


def read_base(token: str) -> dict[str, Any] | None:
    try:
        return signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None


class WorkspaceForm(forms.Form):
    #: Labels stand above their fields (no colon: neither Japanese nor a checkbox's label wants one).
    label_suffix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class VersionedForm(WorkspaceForm):
    """`version`: the record's version when the form was filled in; `base`: its values then."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    base = forms.CharField(widget=forms.HiddenInput, required=False)


class ActivityForm(VersionedForm):
    occurred_on = forms.DateField(label=_("Date"), widget=DATE, input_formats=["%Y-%m-%d"])
    category = forms.ChoiceField(label=_("Category"), choices=ExchangeCategory.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    direction = forms.ChoiceField(label=_("Direction"), choices=[("", "—"), *Direction.choices], required=False)
    participants = forms.IntegerField(label=_("Participants"), min_value=0, required=False)
    evidence_url = forms.URLField(label=_("Evidence link"), required=False, assume_scheme="https")

    def __init__(self, *args: Any, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if new:  # a new activity has no version yet
            del self.fields["version"]
            del self.fields["base"]


class AgreementDetailsForm(VersionedForm):
    """The details of a relationship (record and edit); the sides and the status have their own forms."""

    kind = forms.ChoiceField(label=_("Kind"), choices=AgreementKind.choices)
    signed_on = forms.CharField(
        label=_("Signed on"),
        required=False,
        max_length=10,
        help_text=_("As far as it is known: 1986, 1986-04 or 1986-04-12."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DATE,
        input_formats=["%Y-%m-%d"],
        help_text=_("Only for fixed-term agreements."),
    )
    heads_signed = forms.BooleanField(label=_("Signed by both heads"), required=False)
    fields_unrestricted = forms.BooleanField(label=_("Exchange not limited to one field"), required=False)
    assembly_approved = forms.BooleanField(label=_("Approved by the local assembly"), required=False)
    exchange_fields = forms.MultipleChoiceField(
        label=_("Fields of exchange"),
        choices=ExchangeCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    public_notes = forms.CharField(label=_("Public notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    internal_notes = forms.CharField(
        label=_("Internal notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Never shown to the public."),
    )
    source_url = forms.URLField(label=_("Source link"), required=False, assume_scheme="https")

    #: The form's fields that update_agreement takes.
    SERVICE_FIELDS = (
        "kind",
        "signed_on",
        "expires_on",
        "heads_signed",
        "fields_unrestricted",
        "assembly_approved",
        "exchange_fields",
        "public_notes",
        "internal_notes",
        "source_url",
    )


class RecordAgreementForm(AgreementDetailsForm):
    """A new relationship: the partner is picked from the registry, or added as a new foreign one."""

    partner = forms.IntegerField(widget=forms.HiddenInput, required=False)
    partner_q = forms.CharField(
        label=_("Partner"),
        required=False,
        max_length=100,
        help_text=_("Type a few letters of its name (any script) and pick it from the list."),
    )
    new_name = forms.CharField(label=_("Name (local script)"), required=False, max_length=200)
    new_name_en = forms.CharField(label=_("English name"), required=False, max_length=200)
    new_country = forms.ChoiceField(label=_("Country"), required=False, choices=())
    new_region = forms.CharField(label=_("Region (state, province…)"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        del self.fields["base"]
        self.fields["new_country"].choices = country_form_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("partner") and not data.get("new_name"):
            self.add_error("partner_q", _("Pick the partner from the suggestions, or add a new foreign partner below."))
        return data


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("New status"), choices=AgreementStatus.choices)
    on = forms.DateField(label=_("Date of the change"), widget=DATE, input_formats=["%Y-%m-%d"])
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RenewForm(VersionedForm):
    expires_on = forms.DateField(label=_("New end of the term"), widget=DATE, input_formats=["%Y-%m-%d"])


class ProfileForm(WorkspaceForm):
    language = forms.ChoiceField(label=_("Language of e-mails"), choices=settings.LANGUAGES)
    digests_enabled = forms.BooleanField(
        label=_("Send me reminder digests"),
        required=False,
        help_text=_("An e-mail when a relationship goes quiet or a fixed-term agreement nears its end."),
    )


class ReviewForm(forms.Form):
    """`choice`: `confirm`, or `move-<id>` (move the home side to that candidate)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    choice = forms.RegexField(regex=r"^(confirm|move-[0-9]{1,12})$")

    @property
    def move_to(self) -> int | None:
        choice = self.cleaned_data.get("choice", "")
        return int(choice.removeprefix("move-")) if choice.startswith("move-") else None
