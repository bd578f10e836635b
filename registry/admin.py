"""The Django admin: data care for coordinators and admins.

An adapter like any view (STYLE.md, 8): it parses the form, asks registry.services.access who may
do what, and calls the services for every write of an agreement, an activity or a membership —
the same functions the API and the pages call, so the history, `last_activity_on` and the rules
come out the same. A service that refuses after the form looked valid does not give a 500: the
whole save is rolled back and the form is shown again with the service's message where it belongs
(see ServiceErrorsMixin).

Who: staff users (is_staff) who are coordinators or superusers. Other staff users see no registry
model and get 403 on every registry page, whatever Django model permissions they were given.

List pages cost the same number of queries for 2 rows or 2,000 (list_select_related, annotated
counts, filters whose choices come from one query each); tests/test_admin.py pins it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from registry import admin_roles  # noqa: F401  (the users page with its "Grant a role…" action)
from registry.admin_audits import (
    AgreementCountListFilter,
    DemoActivityListFilter,
    InNameOnlyListFilter,
    VitalityListFilter,
    agreement_count_column,
    exclude_demo_requested,
    in_name_only_column,
    live_agreement_count_column,
    vitality_column,
    with_agreement_counts_today,
    with_vitality_today,
)
from registry.admin_params import QueryStringGuard, id_param
from registry.countries import country_choices, country_form_choices, country_name
from registry.models import (
    ActivityLog,
    AgreementStatus,
    AgreementStatusChange,
    ChangeAction,
    ChangeRecord,
    ExchangeCategory,
    Municipality,
    Network,
    NetworkMembership,
    StaffAssignment,
    Tier,
    TwinningAgreement,
)
from registry.services import access
from registry.services.activity import EDITABLE_FIELDS as ACTIVITY_FIELDS
from registry.services.activity import delete_activity, log_activity, update_activity
from registry.services.agreements import EDITABLE_FIELDS as AGREEMENT_FIELDS
from registry.services.agreements import change_status, delete_agreement, sign_agreement, update_agreement
from registry.services.dates import parse_partial_date
from registry.services.errors import StaleVersion
from registry.services.history import diff, record_change, snapshot
from registry.services.memberships import EDITABLE_FIELDS as MEMBERSHIP_FIELDS
from registry.services.memberships import delete_membership, join_network, update_membership
from registry.services.municipalities import check_country_change, merge_municipality
from registry.services.search import search_key_of

# --- Audit pieces (registry/admin_audits.py, owned by the audits work) ----------------------------
# The audits (registry/admin_audits.py): vitality and in-name-only filters and columns for agreements,
# agreement counts for municipalities, all computed by the same QuerySet methods as the REST reports.
# The coverage page is mounted by the site (registry/admin_site.py).
AGREEMENT_AUDIT_FILTERS: tuple[type[admin.ListFilter], ...] = (
    InNameOnlyListFilter,
    VitalityListFilter,
    DemoActivityListFilter,
)


# --- Permissions -------------------------------------------------------------------------------------


class CoordinatorPermissions(QueryStringGuard):
    """Registry admin pages are for coordinators and superusers (access.is_coordinator); writes as
    access says. Django's per-model permissions are not consulted: roles are decided in one place.
    Every registry ModelAdmin has this base, so its changelist also answers junk in the query string
    with the unfiltered list, never a 500 (QueryStringGuard)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_coordinator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_coordinator(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_edit_reference_data(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_edit_reference_data(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_edit_reference_data(request.user)


class ReadOnlyHistory(CoordinatorPermissions):
    """History is written by the services only: readable by those who may read it, never edited."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can_read_history(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_read_history(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Service errors as form errors ---------------------------------------------------------------


class ServiceRefused(Exception):
    """A service refused a write during save: form prefix ("" for the main form) → its error."""

    def __init__(self, errors: dict[str, ValidationError]) -> None:
        super().__init__(errors)
        self.errors = errors


def as_validation_error(error: ValidationError | StaleVersion) -> ValidationError:
    return error if isinstance(error, ValidationError) else ValidationError(str(error), code="stale")


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's error on the form field it names, else at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        for item in errors:
            if field in form.fields:
                form.add_error(field, item)
            else:
                # A field shown read-only or not on this form: say which, at the top.
                form.add_error(None, ValidationError(f"{field}: {'; '.join(item.messages)}"))


class RegistryForm(forms.ModelForm):
    """A ModelForm that shows the errors a service raised on the previous attempt (see below)."""

    service_errors: dict[str, ValidationError] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        error = self.service_errors.get(self.prefix or "")
        if error is not None:
            add_service_error(self, error)
        return cleaned


class ServiceErrorsMixin:
    """Turn a service's ValidationError raised in save_model / save_formset into form errors.

    The admin validates the form, then saves inside one transaction. When a service refuses during
    the save, the exception leaves that transaction (everything is rolled back), and the view runs
    once more with the refusal attached to the request: the forms then carry the error and the page
    is shown again, with nothing written.
    """

    def changeform_view(self, request: HttpRequest, object_id=None, form_url: str = "", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request._registry_service_errors = refused.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return _with_service_errors(form, request)


def _with_service_errors(form: type[forms.BaseForm], request: HttpRequest) -> type[forms.BaseForm]:
    errors = getattr(request, "_registry_service_errors", None)
    if not errors:
        return form
    return type(form.__name__, (form,), {"service_errors": errors})


class ServiceInline:
    """An inline whose forms show service errors from the previous attempt."""

    form = RegistryForm

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _with_service_errors(formset.form, request)
        return formset


def _copy_saved(target: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved instance the row a service saved (inlines hang on it)."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def save_service_formset(request: HttpRequest, formset: forms.BaseModelFormSet) -> None:
    """Save an inline formset through the services (activities, memberships) or with a history row.

    Every refused form is reported (by its prefix), then the whole save is refused.
    """
    errors: dict[str, ValidationError] = {}
    # What the admin's own change message (LogEntry) reads from a saved formset.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or (form.instance.pk is None and not form.has_changed()):
            continue
        deleting = formset.can_delete and form in formset.deleted_forms
        if not deleting and form.instance.pk is not None and not form.changed_data:
            continue
        try:
            with transaction.atomic():
                saved = _save_inline_form(
                    formset.model, form, parent=formset.instance, deleting=deleting, by=request.user
                )
        except (ValidationError, StaleVersion) as error:
            errors[form.prefix] = as_validation_error(error)
            continue
        if deleting:
            formset.deleted_objects.append(form.instance)
        elif form.instance.pk is None:
            formset.new_objects.append(saved)
        else:
            formset.changed_objects.append((saved, form.changed_data))
    if errors:
        raise ServiceRefused(errors)


def _save_inline_form(
    model: type[models.Model], form: forms.ModelForm, *, parent: models.Model, deleting: bool, by: Any
) -> models.Model | None:
    """One inline form's write: deleted, changed (only the changed fields) or new."""
    instance = form.instance
    data = form.cleaned_data
    if model is ActivityLog:
        if deleting:
            delete_activity(activity=instance, by=by)
            return None
        if instance.pk:
            changes = {name: data[name] for name in form.changed_data if name in ACTIVITY_FIELDS}
            return update_activity(activity=instance, by=by, **changes)
        return log_activity(agreement=parent, by=by, **{name: data[name] for name in ACTIVITY_FIELDS if name in data})
    if model is NetworkMembership:
        if deleting:
            delete_membership(membership=instance, by=by)
            return None
        if instance.pk:
            changes = {name: data[name] for name in form.changed_data if name in MEMBERSHIP_FIELDS}
            return update_membership(membership=instance, by=by, **changes)
        values = {name: data[name] for name in MEMBERSHIP_FIELDS if name in data}
        if isinstance(parent, Municipality):
            return join_network(network=data["network"], municipality=parent, by=by, **values)
        return join_network(network=parent, municipality=data["municipality"], by=by, **values)
    # Reference data without a service of its own (staff assignments): saved here, with history.
    if deleting:
        record_change(target=instance, action=ChangeAction.DELETE, by=by, note=str(instance))
        instance.delete()
        return None
    created = instance.pk is None
    instance.full_clean()
    instance.save()
    record_change(target=instance, action=ChangeAction.CREATE if created else ChangeAction.UPDATE, by=by)
    return instance


class ReferenceDataAdmin(CoordinatorPermissions, ServiceErrorsMixin, admin.ModelAdmin):
    """Municipalities, networks, staff assignments: saved directly (there is no rule beyond the
    model's own validation), with a change record per write; inlines through their services."""

    form = RegistryForm

    def save_model(self, request: HttpRequest, obj: models.Model, form: forms.ModelForm, change: bool) -> None:
        fields = [name for name in form.changed_data if name in {f.name for f in obj._meta.concrete_fields}]
        before = snapshot(type(obj).objects.get(pk=obj.pk), fields) if change else {}
        obj.save()
        record_change(
            target=obj,
            action=ChangeAction.UPDATE if change else ChangeAction.CREATE,
            by=request.user,
            changes=diff(before, snapshot(obj, fields)) if change else {},
        )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        record_change(target=obj, action=ChangeAction.DELETE, by=request.user, note=str(obj))
        obj.delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        save_service_formset(request, formset)


# --- History, read only ---------------------------------------------------------------------------


class ChangeRecordInline(ReadOnlyHistory, GenericTabularInline):
    model = ChangeRecord
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("changed_at", "action", "changes", "note", "changed_by")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("change history")
    classes = ("collapse",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("changed_by")


class StatusHistoryInline(ReadOnlyHistory, admin.TabularInline):
    model = AgreementStatusChange
    fields = ("changed_on", "from_status", "to_status", "reason", "changed_by", "recorded_at")
    readonly_fields = fields
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The status history is part of the agreement's record (coordinators see the agreement).
        return access.is_coordinator(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("changed_by")


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyHistory, admin.ModelAdmin):
    list_display = ("changed_at", "action", "content_type", "object_repr", "changed_by")
    list_filter = ("action", "content_type")
    list_select_related = ("content_type", "changed_by")
    search_fields = ("object_repr", "note")
    date_hierarchy = "changed_at"


@admin.register(AgreementStatusChange)
class AgreementStatusChangeAdmin(ReadOnlyHistory, admin.ModelAdmin):
    list_display = ("agreement", "changed_on", "from_status", "to_status", "reason", "changed_by")
    list_filter = ("to_status", "from_status")
    list_select_related = ("agreement__municipality_a", "agreement__municipality_b", "changed_by")
    search_fields = ("agreement__municipality_a__name", "agreement__municipality_b__name", "reason")


# --- List filters ---------------------------------------------------------------------------------


class PrefectureListFilter(admin.SimpleListFilter):
    """A Japanese authority's prefecture (its parent); the prefectures in one query."""

    title = _("prefecture")
    parameter_name = "prefecture"

    def lookups(self, request, model_admin):
        return list(
            Municipality.objects.filter(country="JP", tier=Tier.PREFECTURE)
            .order_by("lg_code")
            .values_list("pk", "name")
        )

    def queryset(self, request, queryset):
        pk = id_param(self.value())
        if pk is not None:
            return queryset.filter(Q(parent_id=pk) | Q(pk=pk))
        return queryset


class AgreementPrefectureListFilter(PrefectureListFilter):
    """Agreements of a prefecture's authorities (or of the prefecture itself), on either side."""

    def queryset(self, request, queryset):
        pk = id_param(self.value())
        if pk is not None:
            return queryset.filter(
                Q(municipality_a__parent_id=pk)
                | Q(municipality_b__parent_id=pk)
                | Q(municipality_a_id=pk)
                | Q(municipality_b_id=pk)
            )
        return queryset


class PartnerCountryListFilter(admin.SimpleListFilter):
    """Agreements with a partner in a country (either side)."""

    title = _("country (either side)")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        countries = (
            Municipality.objects.filter(Q(agreements_as_a__isnull=False) | Q(agreements_as_b__isnull=False))
            .order_by("country")
            .values_list("country", flat=True)
            .distinct()
        )
        return country_choices(countries)

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(Q(municipality_a__country=self.value()) | Q(municipality_b__country=self.value()))
        return queryset


class CountryListFilter(admin.SimpleListFilter):
    """Municipalities of a country, by its name in the reader's language; the countries in one query."""

    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return country_choices(Municipality.objects.order_by().values_list("country", flat=True).distinct())

    def queryset(self, request, queryset):
        value = self.value()
        if value and len(value) == 2 and value.isalpha():  # a code, never junk for the database
            return queryset.filter(country=value.upper())
        return queryset


@admin.display(description=_("country"), ordering="country")
def country_column(obj: Municipality) -> str:
    return country_name(obj.country)


class TierListFilter(admin.SimpleListFilter):
    """Agreements with an authority of a tier on either side."""

    title = _("tier (either side)")
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        return Tier.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(Q(municipality_a__tier=self.value()) | Q(municipality_b__tier=self.value()))
        return queryset


# --- Municipalities -------------------------------------------------------------------------------


class MembershipInline(ServiceInline, CoordinatorPermissions, admin.TabularInline):
    model = NetworkMembership
    fields = ("network", "role", "joined_on", "left_on")
    autocomplete_fields = ("network",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("network")


class StaffAssignmentInline(ServiceInline, CoordinatorPermissions, admin.TabularInline):
    model = StaffAssignment
    fields = ("user", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user")


class MergeForm(forms.Form):
    on = forms.DateField(label=_("Merged on"), widget=AdminDateWidget)

    def __init__(self, *args: Any, admin_site: admin.AdminSite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here: the autocomplete widget needs the admin site, and a choice field binds its
        # widget's choices when it is made.
        self.fields = {
            "successor": forms.ModelChoiceField(
                queryset=Municipality.objects.filter(abolished_on__isnull=True),
                label=_("Successor"),
                help_text=_("The authority the selected ones merge into; their agreements and memberships pass to it."),
                widget=AutocompleteSelect(Municipality._meta.get_field("successor"), admin_site),
            ),
            **self.fields,
        }


def _action_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    form: forms.Form,
    objects: list[models.Model],
    action: str,
    title: str,
    submit: str,
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "form": form,
        "media": model_admin.media + form.media,
        "objects": objects,
        "action": action,
        "submit_label": submit,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/registry/action_form.html", context)


def _service_messages(error: ValidationError | StaleVersion) -> str:
    error = as_validation_error(error)
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {message}" for field, items in error.message_dict.items() for message in items)
    return "; ".join(error.messages)


class MunicipalityForm(RegistryForm):
    # Countries by name in the reader's language (the stored value stays the ISO code).
    country = forms.ChoiceField(label=_("country"), choices=country_form_choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.country
        if current and current not in dict(self.fields["country"].choices):
            # A code django-countries does not name (e.g. one assigned by the user community): kept.
            self.fields["country"].choices = [*self.fields["country"].choices, (current, current)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Agreements keep their sides' countries: the rule is the service's.
        if self.instance.pk is not None and "country" in self.changed_data and cleaned.get("country"):
            try:
                check_country_change(municipality=self.instance, country=cleaned["country"])
            except ValidationError as error:
                add_service_error(self, error)
        return cleaned


@admin.register(Municipality)
class MunicipalityAdmin(ReferenceDataAdmin):
    form = MunicipalityForm
    list_display = (
        "name",
        "name_en",
        "name_kana",
        "lg_code",
        country_column,
        "tier",
        "parent",
        "population",
        agreement_count_column,
        live_agreement_count_column,
        "abolished_on",
    )
    list_filter = (
        CountryListFilter,
        "tier",
        PrefectureListFilter,
        AgreementCountListFilter,
        ("abolished_on", admin.EmptyFieldListFilter),
    )
    list_select_related = ("parent",)
    # The search itself is Municipality.objects.search (name, English name, reading, code prefix);
    # search_fields is what turns the search box and the autocompletes on.
    search_fields = ("name", "name_en", "name_kana", "lg_code")
    autocomplete_fields = ("parent", "successor")
    readonly_fields = ("created_at", "updated_at")
    inlines = (MembershipInline, StaffAssignmentInline, ChangeRecordInline)
    actions = ("merge_into_successor",)
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[Municipality]:
        # Active relationships with foreign partners today: coverage's rule, the API's numbers.
        return with_agreement_counts_today(super().get_queryset(request))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        found = queryset.search(search_term)  # best match first (list and autocomplete) …
        if search_term.strip() and ORDER_VAR in request.GET:
            found = found.order_by(*queryset.query.order_by)  # … unless a column was chosen to sort by
        return found, False

    def save_model(self, request: HttpRequest, obj: Municipality, form: forms.ModelForm, change: bool) -> None:
        # The names may have changed: the search reads their folded copy.
        obj.search_key = search_key_of(obj)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Merge into a successor…"))
    def merge_into_successor(self, request: HttpRequest, queryset: QuerySet[Municipality]) -> HttpResponse | None:
        merged = list(queryset.order_by("pk"))
        if "apply" in request.POST:
            form = MergeForm(request.POST, admin_site=self.admin_site)
            if form.is_valid():
                successor, on = form.cleaned_data["successor"], form.cleaned_data["on"]
                problems: list[str] = []
                with transaction.atomic():
                    for municipality in merged:
                        try:
                            with transaction.atomic():
                                merge_municipality(merged=municipality, successor=successor, on=on, by=request.user)
                        except ValidationError as error:
                            problems.append(f"{municipality}: {_service_messages(error)}")
                    if problems:
                        # All or none: the clerk fixes the choice and tries again.
                        transaction.set_rollback(True)
                if not problems:
                    self.message_user(
                        request,
                        _("%(n)s merged into %(successor)s.") % {"n": len(merged), "successor": successor},
                        messages.SUCCESS,
                    )
                    return None
                for problem in problems:
                    form.add_error(None, problem)
        else:
            form = MergeForm(admin_site=self.admin_site)
        return _action_page(
            self,
            request,
            form=form,
            objects=merged,
            action="merge_into_successor",
            title=_("Merge into a successor"),
            submit=_("Merge"),
        )


# --- Agreements -----------------------------------------------------------------------------------


class ActivityInline(ServiceInline, CoordinatorPermissions, admin.TabularInline):
    model = ActivityLog
    fields = ("occurred_on", "category", "title", "direction", "participants", "evidence_url", "is_demo")
    readonly_fields = ("is_demo",)
    extra = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_coordinator(request.user)

    has_change_permission = has_delete_permission = has_add_permission


class AgreementForm(RegistryForm):
    """The agreement form: the signing date keeps its precision, the fields of exchange are choices."""

    signed_on = forms.CharField(
        label=_("signed on"),
        required=False,
        help_text=_("1986, 1986-04 or 1986-04-12: only what is known."),
    )
    exchange_fields = forms.MultipleChoiceField(
        label=_("fields of exchange"),
        choices=ExchangeCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    loaded_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = TwinningAgreement
        fields = (
            "municipality_a",
            "municipality_b",
            "kind",
            "signed_on",
            "expires_on",
            "status",
            "status_changed_on",
            "status_reason",
            "heads_signed",
            "fields_unrestricted",
            "assembly_approved",
            "exchange_fields",
            "public_notes",
            "internal_notes",
            "internal_contact",
            "source_url",
            "needs_review",
            "review_note",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["signed_on"] = self.instance.signed_on_display
            self.initial["loaded_version"] = self.instance.version
        self.signed_partial = None

    def clean_signed_on(self):
        self.signed_partial = parse_partial_date(self.cleaned_data["signed_on"], field="signed_on")
        # The model field gets a plain date; the precision goes to the service with signed_partial.
        return self.signed_partial.value if self.signed_partial else None

    def _get_validation_exclusions(self) -> set[str]:
        # The pair rules (not with itself, once per unordered pair) are sign_agreement's, whose
        # message names the agreement that already exists; the model's generic one would not.
        return {*super()._get_validation_exclusions(), "municipality_a", "municipality_b"}


@admin.register(TwinningAgreement)
class TwinningAgreementAdmin(CoordinatorPermissions, ServiceErrorsMixin, admin.ModelAdmin):
    form = AgreementForm
    list_display = (
        "__str__",
        "kind",
        "signed_on_display",
        "status",
        "clair_countable",
        "last_activity_on",
        vitality_column,
        in_name_only_column,
        "source",
        "needs_review",
    )
    list_filter = (
        *AGREEMENT_AUDIT_FILTERS,
        PartnerCountryListFilter,
        TierListFilter,
        AgreementPrefectureListFilter,
        "kind",
        "status",
        "clair_countable",
        "source",
        "needs_review",
    )
    list_select_related = ("municipality_a", "municipality_b")
    search_fields = (
        "municipality_a__name",
        "municipality_a__name_en",
        "municipality_a__name_kana",
        "municipality_a__lg_code",
        "municipality_b__name",
        "municipality_b__name_en",
        "municipality_b__name_kana",
        "municipality_b__lg_code",
    )
    autocomplete_fields = ("municipality_a", "municipality_b")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TwinningAgreement]:
        # Vitality and in name only today, by the same QuerySet method as the API and the reports
        # (for the registry's home country; without demo activity when the changelist asks).
        return with_vitality_today(super().get_queryset(request), exclude_demo=exclude_demo_requested(request))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Either side found by Municipality.objects.search (folded names, code), as the API's filter.
        if not search_term.strip():
            return queryset, False
        sides = Municipality.objects.search(search_term).order_by().values("pk")
        return queryset.filter(Q(municipality_a__in=sides) | Q(municipality_b__in=sides)), False

    inlines = (ActivityInline, StatusHistoryInline, ChangeRecordInline)
    actions = ("change_status_action",)
    fieldsets = (
        (None, {"fields": ("municipality_a", "municipality_b", "kind", "signed_on", "expires_on")}),
        (_("Status"), {"fields": ("status", "status_changed_on", "status_reason")}),
        (
            _("CLAIR's criteria"),
            {"fields": ("heads_signed", "fields_unrestricted", "assembly_approved", "clair_countable")},
        ),
        (
            _("Exchange and notes"),
            {"fields": ("exchange_fields", "public_notes", "internal_notes", "internal_contact", "source_url")},
        ),
        (
            _("Provenance and review"),
            {
                "fields": (
                    "source",
                    "needs_review",
                    "review_note",
                    "last_activity_on",
                    "last_real_activity_on",
                    "version",
                    "loaded_version",
                    "created_by",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
    # Derived or written by services only (clair_countable is a generated column).
    base_readonly_fields = (
        "clair_countable",
        "last_activity_on",
        "last_real_activity_on",
        "version",
        "source",
        "created_by",
        "created_at",
        "updated_at",
    )
    list_per_page = 100

    # Permissions: the admin is for coordinators (who may record and edit every agreement);
    # deleting one recorded in error is decided by access.can_delete_agreement.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_coordinator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_coordinator(request.user) and (obj is None or access.can_edit_agreement(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_coordinator(request.user) and access.can_delete_agreement(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return self.base_readonly_fields
        # The sides never change; the status changes with its own action (date and reason).
        return (
            *self.base_readonly_fields,
            "municipality_a",
            "municipality_b",
            "status",
            "status_changed_on",
            "status_reason",
        )

    @admin.display(description=_("signed on"), ordering="signed_on")
    def signed_on_display(self, obj: TwinningAgreement) -> str:
        return obj.signed_on_display

    def save_model(self, request: HttpRequest, obj: TwinningAgreement, form: AgreementForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                changes: dict[str, Any] = {}
                for name in form.changed_data:
                    if name == "signed_on":
                        changes["signed_on"] = form.signed_partial
                    elif name in AGREEMENT_FIELDS:
                        changes[name] = data[name]
                saved = (
                    update_agreement(
                        agreement=obj, by=request.user, expected_version=data.get("loaded_version"), **changes
                    )
                    if changes
                    else obj
                )
            else:
                details = {name: data[name] for name in AGREEMENT_FIELDS if name in data and name != "signed_on"}
                saved = sign_agreement(
                    a=data["municipality_a"],
                    b=data["municipality_b"],
                    signed_on=form.signed_partial,
                    status=data["status"],
                    status_changed_on=data.get("status_changed_on"),
                    status_reason=data.get("status_reason", ""),
                    by=request.user,
                    **details,
                )
        except (ValidationError, StaleVersion) as error:
            raise ServiceRefused({"": as_validation_error(error)}) from None
        _copy_saved(obj, saved)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        save_service_formset(request, formset)

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # The status history goes with its agreement (delete_agreement); nobody deletes it alone.
        perms_needed.discard(str(AgreementStatusChange._meta.verbose_name))
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: TwinningAgreement) -> None:
        delete_agreement(agreement=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TwinningAgreement]) -> None:
        with transaction.atomic():
            for agreement in queryset:
                delete_agreement(agreement=agreement, by=request.user)

    @admin.action(description=_("Change status…"))
    def change_status_action(self, request: HttpRequest, queryset: QuerySet[TwinningAgreement]) -> HttpResponse | None:
        agreements = list(queryset.select_related("municipality_a", "municipality_b").order_by("pk"))
        if not all(access.can_edit_agreement(request.user, agreement) for agreement in agreements):
            self.message_user(request, _("You may not change the status of all of these."), messages.ERROR)
            return None
        if "apply" in request.POST:
            form = ChangeStatusForm(request.POST)
            if form.is_valid():
                problems: list[str] = []
                with transaction.atomic():
                    for agreement in agreements:
                        try:
                            with transaction.atomic():
                                change_status(agreement=agreement, by=request.user, **form.cleaned_data)
                        except (ValidationError, StaleVersion) as error:
                            problems.append(f"{agreement}: {_service_messages(error)}")
                    if problems:
                        # All or none: a status change for a list is one decision.
                        transaction.set_rollback(True)
                if not problems:
                    self.message_user(
                        request,
                        _("Status of %(n)s agreement(s) changed to %(status)s.")
                        % {"n": len(agreements), "status": AgreementStatus(form.cleaned_data["status"]).label},
                        messages.SUCCESS,
                    )
                    return None
                for problem in problems:
                    form.add_error(None, problem)
        else:
            form = ChangeStatusForm()
        return _action_page(
            self,
            request,
            form=form,
            objects=agreements,
            action="change_status_action",
            title=_("Change the status of agreements"),
            submit=_("Change status"),
        )


class ChangeStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=AgreementStatus.choices)
    on = forms.DateField(label=_("On"), widget=AdminDateWidget, help_text=_("The date the status changed."))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


# --- Activity -------------------------------------------------------------------------------------


@admin.register(ActivityLog)
class ActivityLogAdmin(CoordinatorPermissions, ServiceErrorsMixin, admin.ModelAdmin):
    list_display = ("occurred_on", "title", "category", "direction", "agreement", "is_demo")
    list_filter = ("category", "direction", "is_demo")
    list_select_related = ("agreement__municipality_a", "agreement__municipality_b")
    search_fields = ("title", "agreement__municipality_a__name", "agreement__municipality_b__name")
    autocomplete_fields = ("agreement",)
    readonly_fields = ("is_demo", "logged_by", "version", "created_at", "updated_at")
    date_hierarchy = "occurred_on"
    form = RegistryForm

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_coordinator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_coordinator(request.user) and (obj is None or access.can_edit_activity(request.user, obj))

    has_delete_permission = has_change_permission

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return (*self.readonly_fields, "agreement") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ActivityLog, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                changes = {name: data[name] for name in form.changed_data if name in ACTIVITY_FIELDS}
                saved = update_activity(activity=obj, by=request.user, **changes) if changes else obj
            else:
                saved = log_activity(
                    agreement=data["agreement"],
                    by=request.user,
                    **{name: data[name] for name in ACTIVITY_FIELDS if name in data},
                )
        except (ValidationError, StaleVersion) as error:
            raise ServiceRefused({"": as_validation_error(error)}) from None
        _copy_saved(obj, saved)

    def delete_model(self, request: HttpRequest, obj: ActivityLog) -> None:
        delete_activity(activity=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ActivityLog]) -> None:
        with transaction.atomic():
            for activity in queryset:
                delete_activity(activity=activity, by=request.user)


# --- Networks and memberships ---------------------------------------------------------------------


class NetworkMembershipInline(ServiceInline, CoordinatorPermissions, admin.TabularInline):
    model = NetworkMembership
    fields = ("municipality", "role", "joined_on", "left_on")
    autocomplete_fields = ("municipality",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("municipality")


@admin.register(Network)
class NetworkAdmin(ReferenceDataAdmin):
    list_display = ("name", "name_ja", "scale", "founded_year", "seat", "member_count")
    list_filter = ("scale",)
    search_fields = ("name", "name_ja", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (NetworkMembershipInline, ChangeRecordInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Network]:
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
        )

    @admin.display(description=_("current members"), ordering="member_count")
    def member_count(self, obj: Network) -> int:
        return obj.member_count


@admin.register(NetworkMembership)
class NetworkMembershipAdmin(CoordinatorPermissions, ServiceErrorsMixin, admin.ModelAdmin):
    list_display = ("municipality", "network", "role", "joined_on", "left_on")
    list_filter = ("role", "network", ("left_on", admin.EmptyFieldListFilter))
    list_select_related = ("municipality", "network")
    search_fields = ("municipality__name", "municipality__name_en", "municipality__name_kana", "network__name")
    autocomplete_fields = ("municipality", "network")
    readonly_fields = ("version", "created_at", "updated_at")
    form = RegistryForm

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return (*self.readonly_fields, "municipality", "network") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: NetworkMembership, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                changes = {name: data[name] for name in form.changed_data if name in MEMBERSHIP_FIELDS}
                saved = update_membership(membership=obj, by=request.user, **changes) if changes else obj
            else:
                saved = join_network(
                    network=data["network"],
                    municipality=data["municipality"],
                    by=request.user,
                    **{name: data[name] for name in MEMBERSHIP_FIELDS if name in data},
                )
        except (ValidationError, StaleVersion) as error:
            raise ServiceRefused({"": as_validation_error(error)}) from None
        _copy_saved(obj, saved)

    def delete_model(self, request: HttpRequest, obj: NetworkMembership) -> None:
        delete_membership(membership=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[NetworkMembership]) -> None:
        with transaction.atomic():
            for membership in queryset:
                delete_membership(membership=membership, by=request.user)


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ReferenceDataAdmin):
    list_display = ("user", "municipality", "created_at")
    list_select_related = ("user", "municipality")
    search_fields = ("user__username", "municipality__name", "municipality__name_en")
    autocomplete_fields = ("user", "municipality")
    readonly_fields = ("created_at",)
