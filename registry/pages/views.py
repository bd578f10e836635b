"""Pages for people (the public site): adapters like the API — parse, call a service, render.

Every figure comes from registry.services (the same functions the API and the admin call), so a page
and `/api/reports/…` show the same numbers. Each view costs a constant number of queries
(tests/pages pin them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from registry.models import ActivityLog, Municipality, NetworkMembership, TwinningAgreement
from registry.services import audits, standing
from registry.services.dates import today

#: The home country the public pages audit (the reports' default).
HOME_COUNTRY = "JP"
#: Suggestions offered as the reader types.
SUGGESTIONS = 8
#: Partner countries on the home page's chart.
TOP_PARTNER_COUNTRIES = 12
#: Recent public activities on a municipality's page.
RECENT_ACTIVITIES = 10
#: Partners of partners listed on a municipality's page.
PARTNERS_OF_PARTNERS = 12


def rests_on_demo_activity() -> bool:
    """True while the registry holds demo activity: vitality figures then rest partly on it."""
    return ActivityLog.objects.filter(is_demo=True).exists()


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Search, headline figures as of today, coverage by tier, the map of Japan, partner countries."""
    as_of = today()
    coverage = audits.coverage(country=HOME_COUNTRY, as_of=as_of)
    partners = audits.partner_countries(country=HOME_COUNTRY, as_of=as_of)
    context: dict[str, Any] = {
        "as_of": as_of,
        "coverage": coverage,
        "total": coverage["total"],
        "partner_rows": partners["rows"][:TOP_PARTNER_COUNTRIES],
        "partner_country_count": len(partners["rows"]),
        "standings": standing.Standing,
        "demo": rests_on_demo_activity(),
    }
    return render(request, "pages/home.html", context)


def _suggestion(municipality: Municipality) -> dict[str, Any]:
    japanese = (get_language() or "").startswith("ja")
    name = municipality.name if japanese else (municipality.name_en or municipality.name)
    other = municipality.name_en if japanese else municipality.name
    return {
        "name": name,
        "other": other if other and other != name else "",
        "country": municipality.country,
        "parent": (municipality.parent.name if japanese else municipality.parent.name_en or municipality.parent.name)
        if municipality.parent
        else "",
        "url": reverse("pages:municipality", args=[municipality.pk]),
    }


@require_GET
def search_suggestions(request: HttpRequest) -> JsonResponse:
    """Up to SUGGESTIONS authorities for the search box, best match first. Two queries at most."""
    query = request.GET.get("q", "").strip()[:100]
    if not query:
        return JsonResponse({"q": query, "results": []})
    matches = Municipality.objects.search(query).select_related("parent")[:SUGGESTIONS]
    return JsonResponse({"q": query, "results": [_suggestion(m) for m in matches]})


@require_GET
@cache_control(public=True, max_age=300)
def standing_map_data(request: HttpRequest) -> JsonResponse:
    """The map of Japan's colours: one compact JSON keyed by the 5-digit code (see services.standing)."""
    data = standing.standings(country=HOME_COUNTRY, as_of=today())
    data["url"] = reverse("pages:municipality", args=[0])
    return JsonResponse(data)


@require_GET
def municipality(request: HttpRequest, pk: int) -> HttpResponse:
    """One authority: names, tier, its partners with vitality on a world map, recent public activity,
    network memberships and the partners of its partners. Six queries whatever the number of partners."""
    as_of = today()
    place = get_object_or_404(Municipality.objects.select_related("parent", "successor"), pk=pk)
    agreements = list(
        TwinningAgreement.objects.involving(place)
        .with_sides()
        .with_vitality(as_of=as_of)
        .order_by(F("signed_on").asc(nulls_last=True), "pk")
    )
    partners = [{"agreement": agreement, "partner": agreement.other_side(place)} for agreement in agreements]
    partner_ids = [row["partner"].pk for row in partners]
    activities = list(
        ActivityLog.objects.filter(agreement__in=[a.pk for a in agreements])
        .select_related("agreement__municipality_a", "agreement__municipality_b")
        .order_by("-occurred_on", "-pk")[:RECENT_ACTIVITIES]
    )
    memberships = list(
        NetworkMembership.objects.filter(municipality=place).select_related("network").order_by("network__name")
    )
    second_degree = list(
        TwinningAgreement.objects.active_on(as_of)
        .filter(Q(municipality_a__in=partner_ids) | Q(municipality_b__in=partner_ids))
        .exclude(Q(municipality_a=place) | Q(municipality_b=place))
        .with_sides()
        .order_by("pk")[: PARTNERS_OF_PARTNERS * 4]
    )
    known = {place.pk, *partner_ids}
    partners_of_partners: list[dict[str, Any]] = []
    for agreement in second_degree:
        via_a = agreement.municipality_a_id in partner_ids
        via, other = (
            (agreement.municipality_a, agreement.municipality_b)
            if via_a
            else (agreement.municipality_b, agreement.municipality_a)
        )
        if other.pk in known:
            continue
        known.add(other.pk)
        partners_of_partners.append({"partner": other, "via": via})
        if len(partners_of_partners) >= PARTNERS_OF_PARTNERS:
            break
    lines = [
        {
            "name": row["partner"].name_en or row["partner"].name,
            "lat": row["partner"].latitude,
            "lng": row["partner"].longitude,
            "vitality": row["agreement"].vitality,
            "status": row["agreement"].status,
            "url": reverse("pages:municipality", args=[row["partner"].pk]),
        }
        for row in partners
        if row["partner"].latitude is not None and row["partner"].longitude is not None
    ]
    context = {
        "place": place,
        "as_of": as_of,
        "partners": partners,
        "activities": activities,
        "memberships": memberships,
        "partners_of_partners": partners_of_partners,
        "map_data": {
            "home": {"name": place.name_en or place.name, "lat": place.latitude, "lng": place.longitude},
            "partners": lines,
        },
        "demo": any(activity.is_demo for activity in activities) or rests_on_demo_activity(),
    }
    return render(request, "pages/municipality.html", context)


@require_GET
def municipality_by_code(request: HttpRequest, lg_code: str) -> HttpResponse:
    """A Japanese authority by its local government code: a permanent redirect to its page."""
    place = get_object_or_404(Municipality.objects.only("pk"), lg_code=lg_code)
    return redirect("pages:municipality", pk=place.pk, permanent=True)
