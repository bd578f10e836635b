"""The pages' query parameters as forms: a bad value is shown next to its field, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from registry.models import JAPAN_TIERS, Municipality, Tier
from registry.models.agreements import CountingBasis
from registry.services.dates import check_as_of, today
from registry.templatetags.registry_pages import local_name

#: Choices of the "has partners" filter.
HAS_PARTNERS_CHOICES = [("", _("Any")), ("yes", _("With partners")), ("no", _("Without partners"))]


def _japanese_tier_choices() -> list[tuple[str, str]]:
    return [("", _("All tiers"))] + [(tier, Tier(tier).label) for tier in JAPAN_TIERS]


class PrefectureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Municipality) -> str:
        return local_name(obj)  # the name a reader of the page's language knows


def prefecture_field() -> PrefectureChoiceField:
    return PrefectureChoiceField(
        queryset=Municipality.objects.filter(country="JP", tier=Tier.PREFECTURE).order_by("lg_code", "pk"),
        required=False,
        label=_("Prefecture"),
        empty_label=_("All prefectures"),
    )


class AsOfForm(forms.Form):
    """`as_of` (default today, never in the future), `basis` (all / CLAIR-countable) and whether to
    leave demo activity out (`exclude_demo`)."""

    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )
    basis = forms.ChoiceField(label=_("Basis"), choices=CountingBasis.choices, required=False)
    exclude_demo = forms.BooleanField(label=_("Without demo activity"), required=False)

    def clean_as_of(self) -> dt.date:
        value = self.cleaned_data.get("as_of") or today()
        if value > today():
            raise forms.ValidationError(_("The registry cannot answer for a future date."))
        try:
            return check_as_of(value)  # the reports' own rule for the earliest date
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["as_of"]) from error

    def clean_basis(self) -> str:
        return self.cleaned_data.get("basis") or CountingBasis.ALL

    def params(self) -> dict[str, Any]:
        """The cleaned values, or the defaults when the form is invalid (its errors are shown)."""
        if self.is_valid():
            return {
                "as_of": self.cleaned_data["as_of"],
                "basis": self.cleaned_data["basis"],
                "exclude_demo": self.cleaned_data["exclude_demo"],
            }
        return {"as_of": today(), "basis": CountingBasis.ALL, "exclude_demo": False}


class GapsForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=_japanese_tier_choices)
    prefecture = forms.Field(required=False)
    partner_country = forms.RegexField(
        regex=r"^[A-Za-z]{2}$",
        required=False,
        label=_("Partner country"),
        error_messages={"invalid": _("Give a two-letter ISO 3166-1 country code such as US.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prefecture"] = prefecture_field()

    def clean_partner_country(self) -> str:
        return (self.cleaned_data.get("partner_country") or "").upper()


class DirectoryForm(forms.Form):
    SORTS = [
        ("name", _("Name")),
        ("-population", _("Population, largest first")),
        ("-partners", _("Partners, most first")),
        ("code", _("Local government code")),
    ]
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    country = forms.RegexField(
        regex=r"^[A-Za-z]{2}$",
        required=False,
        label=_("Country"),
        error_messages={"invalid": _("Give a two-letter ISO 3166-1 country code such as JP.")},
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("All tiers")), *Tier.choices])
    prefecture = forms.Field(required=False)
    has_partners = forms.ChoiceField(label=_("Partners"), required=False, choices=HAS_PARTNERS_CHOICES)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prefecture"] = prefecture_field()

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").upper()
