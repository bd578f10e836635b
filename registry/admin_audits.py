"""Audit pieces for the admin: list filters, columns and the coverage page.

registry/admin.py wires them (see each piece's docstring); everything here calls the same QuerySet
methods and services as the REST reports, so the admin shows the same numbers.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from registry.countries import country_name
from registry.models import Municipality, Tier, TwinningAgreement, tiers_of
from registry.models.agreements import CountingBasis, Vitality
from registry.services import access, audits
from registry.services.dates import check_as_of, today

# --- agreements: vitality and in name only ------------------------------------------------------


#: The changelist parameter that asks for the audits without demo activity (DemoActivityListFilter).
EXCLUDE_DEMO_PARAMETER = "exclude_demo"


def exclude_demo_requested(request: HttpRequest) -> bool:
    """Whether the changelist asks for vitality without demo activity (see DemoActivityListFilter)."""
    return request.GET.get(EXCLUDE_DEMO_PARAMETER) == "yes"


def with_vitality_today(
    queryset: QuerySet[TwinningAgreement], *, exclude_demo: bool = False
) -> QuerySet[TwinningAgreement]:
    """Annotate vitality as of today with the default window, for the registry's home country and
    without demo activity when asked, once (filters and columns share it)."""
    if "vitality" in queryset.query.annotations:
        return queryset
    return queryset.with_vitality(as_of=today(), exclude_demo=exclude_demo)


class DemoActivityListFilter(admin.SimpleListFilter):
    """Vitality and in name only with or without the demo activity (ActivityLog.is_demo).

    Filters no row itself: the changelist's get_queryset annotates with exclude_demo_requested(),
    and the vitality and in-name-only filters read it too.
    """

    title = _("demo activity")
    parameter_name = EXCLUDE_DEMO_PARAMETER

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Vitality without demo activity"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        return None


class VitalityListFilter(admin.SimpleListFilter):
    """Agreements by vitality today (3-year window, 1-year grace): TwinningAgreement changelists."""

    title = _("vitality")
    parameter_name = "vitality"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(Vitality.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value() in Vitality.values:
            annotated = with_vitality_today(queryset, exclude_demo=exclude_demo_requested(request))
            return annotated.filter(vitality=self.value())
        return None


class InNameOnlyListFilter(admin.SimpleListFilter):
    """Agreements in name only today (TwinningAgreementQuerySet.in_name_only: the reports' rule and
    count, for the registry's home country): TwinningAgreement changelists."""

    title = _("in name only")
    parameter_name = "in_name_only"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No")), ("outside", _("Outside the audit"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value() not in ("yes", "no", "outside"):
            return None
        exclude_demo = exclude_demo_requested(request)
        annotated = with_vitality_today(queryset, exclude_demo=exclude_demo)
        if self.value() == "yes":
            return annotated.in_name_only(as_of=today(), exclude_demo=exclude_demo, annotate=False)
        if self.value() == "no":
            return annotated.filter(in_name_only=False)
        return annotated.filter(in_name_only__isnull=True)  # outside


@admin.display(description=_("vitality"), ordering="vitality")
def vitality_column(agreement: TwinningAgreement) -> str:
    """A list_display column; the changelist's get_queryset must call with_vitality_today().

    A vitality that rests on demo activity says so; none (no side in the home country) is "—".
    """
    if not getattr(agreement, "vitality", None):
        return "—"
    label = Vitality(agreement.vitality).label
    if getattr(agreement, "vitality_rests_on_demo", False):
        return _("%(vitality)s (demo activity)") % {"vitality": label}
    return str(label)


@admin.display(description=_("in name only"), boolean=True, ordering="in_name_only")
def in_name_only_column(agreement: TwinningAgreement) -> bool | None:
    """Yes / no in the home country's audit; the "unknown" icon outside it."""
    return getattr(agreement, "in_name_only", None)


# --- municipalities: agreement counts -----------------------------------------------------------


def with_agreement_counts_today(queryset: QuerySet[Municipality]) -> QuerySet[Municipality]:
    """Annotate agreement_count / live_agreement_count as of today (coverage's rule), once; with the
    live count without demo activity too, so that the column can say when the demo rows decide."""
    if "agreement_count" in queryset.query.annotations:
        return queryset
    return queryset.with_agreement_counts(as_of=today(), compare_without_demo=True)


class AgreementCountListFilter(admin.SimpleListFilter):
    """Municipalities by the number of active relationships with foreign partners today."""

    title = _("relationships")
    parameter_name = "agreement_count"
    BANDS = {
        "0": {"agreement_count": 0},
        "1-3": {"agreement_count__gte": 1, "agreement_count__lte": 3},
        "4-8": {"agreement_count__gte": audits.BAND_LOW, "agreement_count__lte": audits.BAND_HIGH},
        "9+": {"agreement_count__gte": 9},
    }

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("0", _("none")),
            ("1-3", _("1 to 3")),
            ("4-8", _("4 to 8 (the recommended band)")),
            ("9+", _("9 or more")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value() in self.BANDS:
            return with_agreement_counts_today(queryset).filter(**self.BANDS[self.value()])
        return None


@admin.display(description=_("relationships"), ordering="agreement_count")
def agreement_count_column(municipality: Municipality) -> int | None:
    return getattr(municipality, "agreement_count", None)


@admin.display(description=_("live relationships"), ordering="live_agreement_count")
def live_agreement_count_column(municipality: Municipality) -> int | str | None:
    """The live count; when demo activity changes it, the count without demo activity beside it."""
    count = getattr(municipality, "live_agreement_count", None)
    without_demo = getattr(municipality, "live_agreement_count_without_demo", None)
    if count is not None and without_demo is not None and without_demo != count:
        return _("%(count)s (%(without_demo)s without demo activity)") % {"count": count, "without_demo": without_demo}
    return count


# --- the coverage page --------------------------------------------------------------------------


class CoverageForm(forms.Form):
    country = forms.RegexField(regex=r"^[A-Za-z]{2}$", initial="JP", required=False, label=_("country"))
    as_of = forms.DateField(required=False, label=_("as of"), widget=forms.DateInput(attrs={"type": "date"}))
    basis = forms.ChoiceField(choices=CountingBasis.choices, required=False, label=_("basis"))
    include_domestic = forms.BooleanField(required=False, label=_("include domestic pairs"))
    exclude_demo = forms.BooleanField(required=False, label=_("without demo activity"))

    def clean_as_of(self) -> dt.date | None:
        as_of = self.cleaned_data.get("as_of")
        if as_of is not None:
            try:
                check_as_of(as_of)
            except ValidationError as error:
                raise forms.ValidationError(error.message_dict["as_of"]) from None
        return as_of

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "country": (data.get("country") or "JP").upper(),
            "as_of": data.get("as_of") or today(),
            "basis": data.get("basis") or CountingBasis.ALL,
            "include_domestic": bool(data.get("include_domestic")),
            "exclude_demo": bool(data.get("exclude_demo")),
        }


def _params(request: HttpRequest) -> tuple[CoverageForm, dict[str, Any]]:
    form = CoverageForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.params()
    return form, {
        "country": "JP",
        "as_of": today(),
        "basis": CountingBasis.ALL,
        "include_domestic": False,
        "exclude_demo": False,
    }


def coverage_view(request: HttpRequest, *, admin_site: AdminSite) -> HttpResponse:
    """Coverage by tier (services.audits.coverage), each tier linked to its authorities without a partner."""
    form, params = _params(request)
    report = audits.coverage(**params)
    query = request.GET.urlencode()
    for tier_row in report["tiers"]:
        url = reverse(f"{admin_site.name}:registry_coverage_gaps", kwargs={"tier": tier_row["tier"]})
        tier_row["gaps_url"] = f"{url}?{query}" if query else url
        tier_row["tier_label"] = Tier(tier_row["tier"]).label
    context = {
        **admin_site.each_context(request),
        "title": _("Coverage by tier"),
        "form": form,
        "report": report,
        # Names in the reader's language where the report has codes and values.
        "country_name": country_name(report["country"]),
        "basis_label": CountingBasis(report["basis"]).label,
    }
    return TemplateResponse(request, "admin/registry/coverage.html", context)


def coverage_gaps_view(request: HttpRequest, tier: str, *, admin_site: AdminSite) -> HttpResponse:
    """The authorities of one tier without a relationship (services.audits.gaps_authorities), paginated."""
    _form, params = _params(request)
    if tier not in tiers_of(params["country"]):
        raise Http404(f"{tier} is not a tier of {params['country']}.")
    try:
        authorities = audits.gaps_authorities(
            country=params["country"],
            as_of=params["as_of"],
            tier=tier,
            basis=params["basis"],
            include_domestic=params["include_domestic"],
        )
    except ValidationError as error:  # pragma: no cover - the tier was checked above
        raise Http404(str(error)) from None
    page = Paginator(authorities, 100).get_page(request.GET.get("page"))
    context = {
        **admin_site.each_context(request),
        "title": _("Authorities without a partner: %(tier)s") % {"tier": Tier(tier).label},
        "tier": tier,
        "tier_label": Tier(tier).label,
        "country_name": country_name(params["country"]),
        "params": params,
        "page": page,
        "coverage_url": reverse(f"{admin_site.name}:registry_coverage")
        + (f"?{request.GET.urlencode()}" if request.GET else ""),
        "change_url_name": f"{admin_site.name}:registry_municipality_change",
    }
    return TemplateResponse(request, "admin/registry/coverage_gaps.html", context)


def coordinators_only(view: Any) -> Any:
    """Audit pages are for coordinators (access.is_coordinator), like the registry's admin pages."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_coordinator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def get_audit_urls(admin_site: AdminSite) -> list[URLPattern]:
    """The coverage page and its drill-down, behind admin_site's login, for coordinators only.

    Put them before the site's own URLs (its catch-all comes last): `audits/coverage/` (name
    `registry_coverage`) and `audits/coverage/<tier>/` (name `registry_coverage_gaps`).
    """
    return [
        path(
            "audits/coverage/",
            admin_site.admin_view(coordinators_only(partial(coverage_view, admin_site=admin_site))),
            name="registry_coverage",
        ),
        path(
            "audits/coverage/<str:tier>/",
            admin_site.admin_view(coordinators_only(partial(coverage_gaps_view, admin_site=admin_site))),
            name="registry_coverage_gaps",
        ),
    ]


def add_coverage_entry(site: AdminSite, app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append "Coverage by tier" to the registry app of an admin index's app list."""
    for app in app_list:
        if app["app_label"] == "registry":
            app["models"].append(
                {
                    "name": _("Coverage by tier (audit)"),
                    "object_name": "Coverage",
                    "admin_url": reverse(f"{site.name}:registry_coverage"),
                    "add_url": None,
                    "view_only": True,
                    "perms": {"view": True},
                }
            )
    return app_list


class AuditAdminSiteMixin:
    """For an AdminSite subclass: the audit URLs, and the coverage entry on the index."""

    def get_urls(self) -> list[Any]:
        return get_audit_urls(self) + super().get_urls()  # type: ignore[misc, arg-type]

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        return add_coverage_entry(self, super().get_app_list(request, app_label))  # type: ignore[misc, arg-type]
