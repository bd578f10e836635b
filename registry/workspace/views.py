"""The staff workspace's pages (/<lang>/my/…): adapters like the public pages and the API — check the
role (registry.services.access), parse a form, call a service, render.

Every page needs a signed-in user (anonymous → the sign-in page). Staff reach the records of their own
municipalities only: another municipality's page or any of its agreements answers 403, as the API
does. Coordinators reach every municipality (with a picker) and the review queue. Each page costs a
constant number of queries (tests/workspace pin them).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.exports import export_response
from registry.models import ActivityLog, Municipality, TwinningAgreement
from registry.models.agreements import home_country
from registry.services import access
from registry.services.activity import delete_activity, log_activity, update_activity
from registry.services.agreements import change_status, sign_agreement, update_agreement
from registry.services.dates import today, years_before
from registry.services.errors import StaleVersion
from registry.services.partners import PartnerExists, add_foreign_partner
from registry.services.reminders import EXPIRING_DAYS as REMINDER_DAYS
from registry.services.review import candidates_for, confirm_review, home_side, move_home_side, review_queue
from registry.services.workspace import (
    BAND,
    EXPIRING_DAYS,
    VITALITY_YEARS,
    may_keep,
    profile_of,
    quiet_from,
    relationships_needing_attention,
    standing_of,
    update_profile,
    workspace_municipalities,
)
from registry.templatetags.registry_pages import local_name

from . import exports
from .forms import (
    ActivityForm,
    AgreementDetailsForm,
    ProfileForm,
    RecordAgreementForm,
    RenewForm,
    ReviewForm,
    StatusForm,
    read_base,
    sign_base,
)

#: Authorities listed by the coordinators' picker.
PICKER_RESULTS = 20
#: Agreements on one page of the review queue.
REVIEW_PAGE = 20


# --- helpers -------------------------------------------------------------------------------------


def _apply_errors(form: Any, error: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """A service's refusal next to the field it names (the form's own name for it), else above the form."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.message_dict.items():
        name = aliases.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


def agreement_values(agreement: TwinningAgreement) -> dict[str, Any]:
    """What the details, status and renew forms show of an agreement, as plain JSON values."""
    return {
        "kind": agreement.kind,
        "signed_on": agreement.signed_on_display,
        "expires_on": agreement.expires_on.isoformat() if agreement.expires_on else "",
        "heads_signed": agreement.heads_signed,
        "fields_unrestricted": agreement.fields_unrestricted,
        "assembly_approved": agreement.assembly_approved,
        "exchange_fields": list(agreement.exchange_fields or []),
        "public_notes": agreement.public_notes,
        "internal_notes": agreement.internal_notes,
        "source_url": agreement.source_url,
        "status": agreement.status,
        "status_changed_on": agreement.status_changed_on.isoformat() if agreement.status_changed_on else "",
        "status_reason": agreement.status_reason,
    }


def activity_values(activity: ActivityLog) -> dict[str, Any]:
    return {
        "occurred_on": activity.occurred_on.isoformat(),
        "category": activity.category,
        "title": activity.title,
        "description": activity.description,
        "direction": activity.direction,
        "participants": activity.participants,
        "evidence_url": activity.evidence_url,
    }


#: Labels of the values above that a form does not show itself (the status's date and reason).
def _extra_labels() -> dict[str, str]:
    return {"status": _("Status"), "status_changed_on": _("Status changed on"), "status_reason": _("Reason")}


def _shown(form: Any, name: str, value: Any) -> str:
    """A value as the person reads it (a choice's label, yes / no, a list joined)."""
    field = form.fields.get(name)
    choices = dict(getattr(field, "choices", None) or []) if field is not None else {}
    if name == "status":
        from registry.models import AgreementStatus

        choices = dict(AgreementStatus.choices)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(choices.get(item, item)) for item in value) or "—"
    if value in (None, ""):
        return "—"
    return str(choices.get(value, value))


def _changes_since(form: Any, base: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, str]]:
    """What someone else changed since the person's form was filled in: label, value then, value now."""
    if base is None:
        return []
    labels = _extra_labels()
    changes = []
    for name, now in current.items():
        then = base.get(name)
        if then != now:
            field = form.fields.get(name)
            label = str(field.label) if field is not None else labels.get(name, name)
            changes.append(
                {"field": name, "label": label, "then": _shown(form, name, then), "now": _shown(form, name, now)}
            )
    return changes


def _rebase(request: HttpRequest, form_class: type, version: int, values: dict[str, Any], **kwargs: Any) -> Any:
    """The person's form again, with what they typed, now based on the current version: saving it again
    is a deliberate overwrite of what they have been shown."""
    data = request.POST.copy()
    data["version"] = str(version)
    data["base"] = sign_base(values)
    form = form_class(data, **kwargs)
    form.is_valid()
    return form


def _editable_agreement(request: HttpRequest, pk: int) -> TwinningAgreement:
    """The agreement, when the user may edit it (403 otherwise: the register itself is public)."""
    agreement = get_object_or_404(TwinningAgreement.objects.with_sides(), pk=pk)
    if not access.can_edit_agreement(request.user, agreement):
        raise PermissionDenied(_("You do not keep the record of this relationship."))
    return agreement


def _home_of(request: HttpRequest, agreement: TwinningAgreement) -> Municipality:
    """The side of the agreement whose record the user keeps (for the back link and the page's title)."""
    ids = access.assigned_municipality_ids(request.user)
    if agreement.municipality_b_id in ids and agreement.municipality_a_id not in ids:
        return agreement.municipality_b
    home = home_country()
    if agreement.municipality_a.country != home and agreement.municipality_b.country == home:
        return agreement.municipality_b
    return agreement.municipality_a


# --- my municipality -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def my(request: HttpRequest) -> HttpResponse:
    """The municipalities the user keeps; for the chosen one, its relationships — those in name only or
    about to become so first — the fixed-term ones ending soon, and the 4–8 band. Coordinators pick any
    municipality. Staff: 6 queries; a coordinator with a municipality chosen: 5."""
    as_of = today()
    coordinator = access.is_coordinator(request.user)
    chosen_pk = request.GET.get("m", "")
    place = None
    places: list[Municipality] = []
    picker: list[Municipality] = []
    query = request.GET.get("q", "").strip()[:100]
    if coordinator:
        if chosen_pk.isdigit():
            place = get_object_or_404(Municipality.objects.select_related("parent"), pk=int(chosen_pk))
        if query:
            picker = list(Municipality.objects.search(query).select_related("parent")[:PICKER_RESULTS])
    else:
        places = list(workspace_municipalities(request.user))
        if not places:
            raise PermissionDenied(_("No municipality is assigned to you yet: ask a coordinator."))
        if chosen_pk:
            place = next((p for p in places if str(p.pk) == chosen_pk), None)
            if place is None:
                raise PermissionDenied(_("You do not keep the record of this municipality."))
        else:
            place = places[0]
    context: dict[str, Any] = {
        "as_of": as_of,
        "coordinator": coordinator,
        "place": place,
        "places": places,
        "picker": picker,
        "q": query,
        "band": BAND,
        "expiring_days": EXPIRING_DAYS,
        "years": VITALITY_YEARS,
    }
    if place is not None:
        relationships = list(relationships_needing_attention(place, as_of=as_of))
        for agreement in relationships:
            agreement.partner = agreement.other_side(place)
            agreement.quiet_from = quiet_from(agreement)
        context["relationships"] = relationships
        context["standing"] = standing_of(place, relationships, as_of=as_of)
        context["demo"] = any(agreement.vitality_rests_on_demo for agreement in relationships)
    return render(request, "workspace/my.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def export(request: HttpRequest) -> HttpResponseBase:
    """The relationships (`what=relationships`) or activities (`what=activities`) of the chosen
    municipality (`m`; staff: all of theirs without it) as CSV or XLSX (`format`)."""
    what = request.GET.get("what", "relationships")
    format_ = request.GET.get("format", "csv")
    if what not in exports.EXPORTS or format_ not in ("csv", "xlsx"):
        messages.error(request, _("Choose relationships or activities, as CSV or XLSX."))
        return redirect("workspace:my")
    chosen = request.GET.get("m", "")
    if chosen.isdigit():
        if not may_keep(request.user, int(chosen)):
            raise PermissionDenied(_("You do not keep the record of this municipality."))
        ids = [int(chosen)]
    elif access.is_coordinator(request.user):
        messages.error(request, _("Choose a municipality first."))
        return redirect("workspace:my")
    else:
        ids = sorted(access.assigned_municipality_ids(request.user))
        if not ids:
            raise PermissionDenied(_("No municipality is assigned to you yet: ask a coordinator."))
    columns, rows = exports.EXPORTS[what](ids, as_of=today())
    filename = f"{what}-{'-'.join(str(pk) for pk in ids[:5])}-{today().isoformat()}"
    return export_response(rows=rows, columns=columns, filename=filename, format=format_)


# --- one relationship ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    """One relationship for its keeper: vitality and when it turns quiet, the facts with the internal
    notes, the status history, the activity log with edit and delete, the status and renew forms.
    Seven queries for staff."""
    as_of = today()
    relationship = get_object_or_404(TwinningAgreement.objects.with_sides().with_vitality(as_of=as_of), pk=pk)
    if not access.can_edit_agreement(request.user, relationship):
        raise PermissionDenied(_("You do not keep the record of this relationship."))
    home = _home_of(request, relationship)
    relationship.quiet_from = quiet_from(relationship)
    values = agreement_values(relationship)
    context = {
        "agreement": relationship,
        "home": home,
        "partner": relationship.other_side(home),
        "as_of": as_of,
        "history": list(relationship.status_changes.chronological()),
        "activities": list(relationship.activities.order_by("-occurred_on", "-pk")),
        "quiet_from": quiet_from(relationship),
        "window_start": years_before(as_of, VITALITY_YEARS),
        "status_form": StatusForm(initial={"version": relationship.version, "base": sign_base(values), "on": as_of}),
        "renew_form": RenewForm(initial={"version": relationship.version, "base": sign_base(values)}),
        "demo": bool(relationship.vitality_rests_on_demo),
    }
    return render(request, "workspace/agreement.html", context)


def _agreement_form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, context, status=400 if context["form"].errors else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_new(request: HttpRequest) -> HttpResponse:
    """Record a relationship of the chosen municipality (`m`): the partner picked by search as you type
    (the public search's suggestions), or a new foreign partner — offered instead when one of that name
    is already recorded in that country. Partner and agreement are written in one transaction."""
    chosen = request.GET.get("m", "")
    if not chosen.isdigit():
        ids = sorted(access.assigned_municipality_ids(request.user))
        if len(ids) != 1:
            messages.error(request, _("Choose a municipality first."))
            return redirect("workspace:my")
        chosen = str(ids[0])
    home = get_object_or_404(Municipality, pk=int(chosen))
    if not may_keep(request.user, home):
        raise PermissionDenied(_("You do not keep the record of this municipality."))
    offered = None
    if request.method == "POST":
        form = RecordAgreementForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    if data.get("partner"):
                        partner = Municipality.objects.filter(pk=data["partner"]).first()
                        if partner is None:
                            raise ValidationError(
                                {"partner_q": _("That partner is no longer in the registry; pick it again.")}
                            )
                    else:
                        partner = add_foreign_partner(
                            name=data["new_name"],
                            name_en=data["new_name_en"],
                            country=data["new_country"],
                            region=data["new_region"],
                            by=request.user,
                        )
                    relationship = sign_agreement(
                        a=home,
                        b=partner,
                        by=request.user,
                        **{name: data[name] for name in RecordAgreementForm.SERVICE_FIELDS},
                    )
            except PartnerExists as exists:
                offered = exists.existing
                data_again = request.POST.copy()
                data_again["partner"] = str(offered.pk)
                data_again["partner_q"] = local_name(offered)
                for name in ("new_name", "new_name_en", "new_country", "new_region"):
                    data_again[name] = ""
                form = RecordAgreementForm(data_again)
                form.is_valid()
                form.add_error("partner_q", exists.message_dict["name"])
            except ValidationError as error:
                _apply_errors(
                    form,
                    error,
                    {
                        "municipality_b": "partner_q",
                        "municipality_a": "partner_q",
                        "name": "new_name",
                        "country": "new_country",
                    },
                )
            else:
                messages.success(
                    request, _("The relationship with %(partner)s is recorded.") % {"partner": local_name(partner)}
                )
                return redirect("workspace:agreement", pk=relationship.pk)
    else:
        form = RecordAgreementForm(initial={"kind": "sister"})
    return _agreement_form_page(
        request, "workspace/agreement_new.html", {"form": form, "home": home, "offered": offered}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a relationship's details (update_agreement, with the version the form was based on)."""
    relationship = _editable_agreement(request, pk)
    conflict: list[dict[str, str]] | None = None
    if request.method == "POST":
        form = AgreementDetailsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                update_agreement(
                    agreement=relationship,
                    by=request.user,
                    expected_version=data["version"],
                    **{name: data[name] for name in AgreementDetailsForm.SERVICE_FIELDS},
                )
            except StaleVersion as stale:
                current = TwinningAgreement.objects.get(pk=relationship.pk)
                values = agreement_values(current)
                conflict = _changes_since(form, read_base(data.get("base") or ""), values)
                form = _rebase(request, AgreementDetailsForm, stale.current, values)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("workspace:agreement", pk=relationship.pk)
    else:
        values = agreement_values(relationship)
        form = AgreementDetailsForm(initial={**values, "version": relationship.version, "base": sign_base(values)})
    context = {
        "form": form,
        "agreement": relationship,
        "conflict": conflict,
        "home": _home_of(request, relationship),
        "heading": _("Edit the details"),
        "submit": _("Save"),
    }
    return render(
        request,
        "workspace/form_page.html",
        context,
        status=409 if conflict is not None else 400 if form.errors else 200,
    )


def _versioned_agreement_action(
    request: HttpRequest, pk: int, form_class: type, act: Any, *, heading: str, submit: str, done: str
) -> HttpResponse:
    relationship = _editable_agreement(request, pk)
    conflict: list[dict[str, str]] | None = None
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                act(relationship, form.cleaned_data)
            except StaleVersion as stale:
                current = TwinningAgreement.objects.get(pk=relationship.pk)
                values = agreement_values(current)
                conflict = _changes_since(form, read_base(form.cleaned_data.get("base") or ""), values)
                form = _rebase(request, form_class, stale.current, values)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, done)
                return redirect("workspace:agreement", pk=relationship.pk)
    else:
        values = agreement_values(relationship)
        form = form_class(initial={"version": relationship.version, "base": sign_base(values), "on": today()})
    context = {
        "form": form,
        "agreement": relationship,
        "conflict": conflict,
        "home": _home_of(request, relationship),
        "heading": heading,
        "submit": submit,
    }
    return render(
        request,
        "workspace/form_page.html",
        context,
        status=409 if conflict is not None else 400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend, terminate or reactivate a relationship, with the date and the reason (change_status)."""

    def act(relationship: TwinningAgreement, data: dict[str, Any]) -> None:
        change_status(
            agreement=relationship,
            status=data["status"],
            on=data["on"],
            reason=data["reason"],
            by=request.user,
            expected_version=data["version"],
        )

    return _versioned_agreement_action(
        request,
        pk,
        StatusForm,
        act,
        heading=_("Change the status"),
        submit=_("Change the status"),
        done=_("The status is changed."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """Renew a fixed-term agreement: a new end of its term (update_agreement)."""

    def act(relationship: TwinningAgreement, data: dict[str, Any]) -> None:
        if relationship.expires_on is not None and data["expires_on"] <= relationship.expires_on:
            raise ValidationError(
                {
                    "expires_on": _("The term ends on %(date)s now; a renewal ends later.")
                    % {"date": relationship.expires_on.isoformat()}
                }
            )
        update_agreement(
            agreement=relationship, by=request.user, expected_version=data["version"], expires_on=data["expires_on"]
        )

    return _versioned_agreement_action(
        request,
        pk,
        RenewForm,
        act,
        heading=_("Renew a fixed term"),
        submit=_("Renew"),
        done=_("The agreement is renewed."),
    )


# --- activities ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an activity under a relationship (log_activity); then its page shows the new vitality."""
    relationship = _editable_agreement(request, pk)
    if request.method == "POST":
        form = ActivityForm(request.POST, new=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                log_activity(
                    agreement=relationship,
                    by=request.user,
                    occurred_on=data["occurred_on"],
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    direction=data["direction"],
                    participants=data["participants"],
                    evidence_url=data["evidence_url"],
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("The activity is logged."))
                return redirect("workspace:agreement", pk=relationship.pk)
    else:
        form = ActivityForm(initial={"occurred_on": today()}, new=True)
    context = {
        "form": form,
        "agreement": relationship,
        "home": _home_of(request, relationship),
        "conflict": None,
        "heading": _("Log an activity"),
        "submit": _("Log the activity"),
    }
    return render(request, "workspace/form_page.html", context, status=400 if form.errors else 200)


def _editable_activity(request: HttpRequest, pk: int) -> ActivityLog:
    activity = get_object_or_404(
        ActivityLog.objects.select_related("agreement", "agreement__municipality_a", "agreement__municipality_b"),
        pk=pk,
    )
    if not access.can_edit_activity(request.user, activity):
        raise PermissionDenied(_("You do not keep the record of this relationship."))
    return activity


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a logged activity (update_activity, with the version the form was based on)."""
    activity = _editable_activity(request, pk)
    conflict: list[dict[str, str]] | None = None
    if request.method == "POST":
        form = ActivityForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                update_activity(
                    activity=activity,
                    by=request.user,
                    expected_version=data["version"],
                    **{name: data[name] for name in activity_values(activity)},
                )
            except StaleVersion as stale:
                values = activity_values(ActivityLog.objects.get(pk=activity.pk))
                conflict = _changes_since(form, read_base(data.get("base") or ""), values)
                form = _rebase(request, ActivityForm, stale.current, values)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("workspace:agreement", pk=activity.agreement_id)
    else:
        values = activity_values(activity)
        form = ActivityForm(initial={**values, "version": activity.version, "base": sign_base(values)})
    context = {
        "form": form,
        "activity": activity,
        "agreement": activity.agreement,
        "home": _home_of(request, activity.agreement),
        "conflict": conflict,
        "heading": _("Edit the activity"),
        "submit": _("Save"),
    }
    return render(
        request,
        "workspace/form_page.html",
        context,
        status=409 if conflict is not None else 400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a logged activity after a confirmation (delete_activity, with its version)."""
    activity = _editable_activity(request, pk)
    if request.method == "POST":
        version = request.POST.get("version", "")
        try:
            delete_activity(
                activity=activity, by=request.user, expected_version=int(version) if version.isdigit() else None
            )
        except StaleVersion:
            messages.error(request, _("Someone changed this activity meanwhile: look at it again before deleting it."))
            return redirect("workspace:activity-edit", pk=activity.pk)
        messages.success(request, _("The activity is deleted."))
        return redirect("workspace:agreement", pk=activity.agreement_id)
    return render(request, "workspace/activity_delete.html", {"activity": activity, "agreement": activity.agreement})


# --- profile -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The user's e-mail language and whether they get reminder digests."""
    current = profile_of(request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            update_profile(user=request.user, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("workspace:profile")
    else:
        form = ProfileForm(initial={"language": current.language, "digests_enabled": current.digests_enabled})
    return render(
        request,
        "workspace/profile.html",
        {"form": form, "reminder_days": REMINDER_DAYS},
        status=400 if form.errors else 200,
    )


# --- review queue --------------------------------------------------------------------------------


def _coordinator_only(request: HttpRequest) -> None:
    if not access.is_coordinator(request.user):
        raise PermissionDenied(_("The review queue is for coordinators."))


@login_required
@require_http_methods(["GET", "HEAD"])
def review(request: HttpRequest) -> HttpResponse:
    """The agreements importers marked `needs_review`, with the reason and the candidate authorities on
    a small map; confirm, or move the home side to another candidate. Six queries a page."""
    _coordinator_only(request)
    page = Paginator(review_queue(), REVIEW_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    candidates = candidates_for(items)
    rows = []
    for item in items:
        side = home_side(item)
        listed = candidates.get(item.pk, [])
        rows.append(
            {
                "agreement": item,
                "side": side,
                "partner": item.other_side(side) if side is not None else item.municipality_b,
                "candidates": listed,
                "points": _map_points(listed, side),
            }
        )
    return render(request, "workspace/review.html", {"page": page, "rows": rows, "outline": MAP_OUTLINE})


#: The small map's frame: Japan's extent (longitude, latitude) and the picture's size in pixels.
MAP_WEST, MAP_EAST, MAP_SOUTH, MAP_NORTH = 122.5, 148.5, 24.0, 45.8
MAP_WIDTH, MAP_HEIGHT = 200, 170


#: A rough outline of Japan's main islands (longitude, latitude), enough to place the candidates.
_HONSHU_SHIKOKU_KYUSHU = [
    (130.7, 31.0), (130.2, 31.4), (129.7, 33.0), (130.4, 33.9), (131.0, 34.1), (132.0, 34.9), (133.0, 35.5),
    (134.5, 35.7), (135.5, 35.6), (136.0, 35.9), (136.7, 37.0), (137.3, 37.5), (137.0, 36.9), (138.5, 37.4),
    (139.5, 38.5), (140.0, 39.8), (140.0, 40.6), (140.9, 41.3), (141.5, 41.3), (141.6, 40.3), (142.0, 39.5),
    (141.5, 38.3), (141.0, 37.5), (140.9, 36.5), (140.8, 35.7), (140.0, 35.0), (139.8, 35.4), (139.6, 35.2),
    (139.0, 34.7), (138.8, 35.0), (138.2, 34.6), (137.0, 34.7), (136.8, 34.3), (135.8, 33.4), (135.1, 33.9),
    (135.2, 34.5), (134.7, 34.7), (134.2, 34.2), (134.6, 33.8), (134.2, 33.2), (133.0, 32.7), (132.5, 33.3),
    (132.0, 33.8), (131.6, 33.6), (131.9, 32.8), (131.4, 31.9), (131.1, 31.3),
]  # fmt: skip
_HOKKAIDO = [
    (140.0, 41.5), (140.2, 42.3), (139.9, 42.6), (140.4, 43.3), (141.4, 43.4), (141.7, 44.3), (141.7, 45.4),
    (142.5, 45.0), (143.5, 44.2), (144.8, 44.0), (145.3, 44.3), (145.6, 43.3), (144.4, 43.0), (143.3, 42.0),
    (141.8, 42.6), (141.0, 42.4), (140.5, 42.0),
]  # fmt: skip


def _project(longitude: float, latitude: float) -> tuple[float, float]:
    x = (longitude - MAP_WEST) / (MAP_EAST - MAP_WEST) * MAP_WIDTH
    y = (MAP_NORTH - latitude) / (MAP_NORTH - MAP_SOUTH) * MAP_HEIGHT
    return round(x, 1), round(y, 1)


def _path(points: list[tuple[float, float]]) -> str:
    return "M" + " L".join("{},{}".format(*_project(lng, lat)) for lng, lat in points) + " Z"


#: The outline as an SVG path (computed once).
MAP_OUTLINE = _path(_HONSHU_SHIKOKU_KYUSHU) + " " + _path(_HOKKAIDO)


def _map_points(candidates: list[Municipality], chosen: Municipality | None) -> list[dict[str, Any]]:
    points = []
    for number, place in enumerate(candidates, start=1):
        if place.latitude is None or place.longitude is None:
            continue
        x, y = _project(place.longitude, place.latitude)
        points.append({"x": x, "y": y, "n": number, "chosen": chosen is not None and place.pk == chosen.pk})
    return points


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm an agreement of the queue, or move its home side to a candidate (review services)."""
    _coordinator_only(request)
    relationship = get_object_or_404(TwinningAgreement.objects.with_sides(), pk=pk)
    form = ReviewForm(request.POST)
    back = reverse("workspace:review") + (
        f"?page={request.GET['page']}" if request.GET.get("page", "").isdigit() else ""
    )
    if not form.is_valid():
        messages.error(request, _("Choose to confirm, or one of the candidates."))
        return redirect(back)
    try:
        if form.move_to is None:
            confirm_review(agreement=relationship, by=request.user, expected_version=form.cleaned_data["version"])
            messages.success(request, _("Confirmed: %(agreement)s.") % {"agreement": _pair(relationship)})
        else:
            to = get_object_or_404(Municipality, pk=form.move_to)
            moved = move_home_side(
                agreement=relationship, to=to, by=request.user, expected_version=form.cleaned_data["version"]
            )
            moved = TwinningAgreement.objects.with_sides().get(pk=moved.pk)
            messages.success(request, _("Corrected: %(agreement)s.") % {"agreement": _pair(moved)})
    except StaleVersion:
        messages.error(
            request,
            _("Someone changed %(agreement)s meanwhile: look at it again.") % {"agreement": _pair(relationship)},
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(back)


def _pair(agreement: TwinningAgreement) -> str:
    return f"{local_name(agreement.municipality_a)} – {local_name(agreement.municipality_b)}"
