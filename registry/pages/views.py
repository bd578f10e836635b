"""Pages for people (the public site): adapters like the API — parse, call a service, render.

Every figure comes from registry.services (the same functions the API and the admin call), so a page
and `/api/reports/…` show the same numbers. Each view costs a constant number of queries
(tests/pages pin them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, Q, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from registry.countries import country_name
from registry.models import ActivityLog, Municipality, Network, NetworkMembership, TwinningAgreement
from registry.models.agreements import CountingBasis
from registry.services import audits, diplomacy, standing
from registry.services.dates import today, years_before
from registry.services.figures import CountedPaginator, cached_figure, data_version
from registry.templatetags.registry_pages import local_name, other_name

from .cache import cached_body
from .forms import AsOfForm, DirectoryForm, GapsForm
from .links import page_url
from .response_cache import public_page

#: The home country the public pages audit (the reports' default).
HOME_COUNTRY = "JP"
#: Suggestions offered as the reader types.
SUGGESTIONS = 8
#: Partner countries on the home page's chart.
TOP_PARTNER_COUNTRIES = 12
#: The vitality window the pages explain (the audits' default).
VITALITY_YEARS = 3
#: Recent public activities on a municipality's page.
RECENT_ACTIVITIES = 10
#: Partners of partners listed on a municipality's page.
PARTNERS_OF_PARTNERS = 12


@public_page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Search, headline figures as of today, coverage by tier, the map of Japan, partner countries."""
    as_of = today()

    def figures() -> dict[str, Any]:
        return {
            "coverage": audits.coverage(country=HOME_COUNTRY, as_of=as_of),
            "partners": audits.partner_countries(country=HOME_COUNTRY, as_of=as_of)["rows"],
        }

    shared = cached_figure("home", as_of=as_of, compute=figures, country=HOME_COUNTRY)
    context: dict[str, Any] = {
        "as_of": as_of,
        "coverage": shared["coverage"],
        "total": shared["coverage"]["total"],
        "partner_rows": shared["partners"][:TOP_PARTNER_COUNTRIES],
        "partner_country_count": len(shared["partners"]),
        "standings": standing.Standing,
        "demo": shared["coverage"]["rests_on_demo_activity"],
        "demo_share": shared["coverage"]["demo_share"],
    }
    return render(request, "pages/home.html", context)


def _suggestion(municipality: Municipality) -> dict[str, Any]:
    return {
        "id": municipality.pk,  # the workspace's partner picker keeps it
        "name": local_name(municipality),
        "other": other_name(municipality),
        "country": municipality.country,
        "country_name": country_name(municipality.country),
        "parent": local_name(municipality.parent),
        "url": page_url("pages:municipality", municipality.pk),
    }


@public_page
@require_GET
def search_suggestions(request: HttpRequest) -> JsonResponse:
    """Up to SUGGESTIONS authorities for the search box, best match first. Two queries at most."""
    query = request.GET.get("q", "").strip()[:100]
    if not query:
        return JsonResponse({"q": query, "results": []})
    matches = Municipality.objects.search(query).select_related("parent")[:SUGGESTIONS]
    return JsonResponse({"q": query, "results": [_suggestion(m) for m in matches]})


@public_page
@require_GET
@cache_control(public=True, max_age=300)
def standing_map_data(request: HttpRequest) -> JsonResponse:
    """The map of Japan's colours: one compact JSON keyed by the 5-digit code (see services.standing)."""
    as_of = today()
    data = cached_figure(
        "standing",
        as_of=as_of,
        compute=lambda: standing.standings(country=HOME_COUNTRY, as_of=as_of),
        country=HOME_COUNTRY,
    )
    return JsonResponse({**data, "url": reverse("pages:municipality", args=[0])})


#: The columns of an authority that name and link it (a list of partners of partners needs no more).
_NAMED = ("", "__name", "__name_en", "__country")


@public_page
@require_GET
def municipality(request: HttpRequest, pk: int) -> HttpResponse:
    """One authority: names, tier, its partners with vitality on a world map, recent public activity,
    network memberships and the partners of its partners. Two queries while the data is unchanged
    (the authority, the data version: the page's body is cached), six whatever the number of partners
    when the body is rendered."""
    as_of = today()
    place = get_object_or_404(Municipality.objects.select_related("parent", "successor"), pk=pk)
    body = cached_body(
        request,
        "municipality",
        template="pages/_municipality_body.html",
        as_of=as_of,
        context=lambda: _municipality_context(place, as_of),
        keep=("demo",),
        place=place.pk,
    )
    return render(
        request, "pages/municipality.html", {"place": place, "as_of": as_of, "body": body, "demo": body["demo"]}
    )


def _municipality_context(place: Municipality, as_of: dt.date) -> dict[str, Any]:
    agreements = list(
        TwinningAgreement.objects.involving(place)
        .select_related("municipality_a", "municipality_b")
        .with_vitality(as_of=as_of)
        .order_by(F("signed_on").asc(nulls_last=True), "pk")
    )
    partners = [{"agreement": agreement, "partner": agreement.other_side(place)} for agreement in agreements]
    partner_ids = [row["partner"].pk for row in partners]
    by_pk = {agreement.pk: agreement for agreement in agreements}
    activities = list(
        ActivityLog.objects.filter(agreement__in=list(by_pk)).order_by("-occurred_on", "-pk")[:RECENT_ACTIVITIES]
    )
    for activity in activities:
        activity.agreement = by_pk[activity.agreement_id]  # with its sides, read above
    memberships = list(
        NetworkMembership.objects.filter(municipality=place).select_related("network").order_by("network__name")
    )
    second_degree = list(
        TwinningAgreement.objects.active_on(as_of)
        .filter(Q(municipality_a__in=partner_ids) | Q(municipality_b__in=partner_ids))
        .exclude(Q(municipality_a=place) | Q(municipality_b=place))
        .select_related("municipality_a", "municipality_b")
        .only(*(f"{side}{field}" for side in ("municipality_a", "municipality_b") for field in _NAMED))
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
    has_point = place.latitude is not None and place.longitude is not None
    located = [row for row in partners if row["partner"].latitude is not None and row["partner"].longitude is not None]
    return {
        "place": place,
        "as_of": as_of,
        "partners": partners,
        "activities": activities,
        "memberships": memberships,
        "partners_of_partners": partners_of_partners,
        "map_data": {
            "centre": place.longitude if has_point else 0,
            "links": [_link(place, row["partner"], row["agreement"]) for row in located] if has_point else [],
            "points": [_point(place)] if has_point else [_point(row["partner"]) for row in located],
        },
        "demo": any(row["agreement"].vitality_rests_on_demo for row in partners),
        "profile": diplomacy.profile(municipality=place, as_of=as_of, years=VITALITY_YEARS),
    }


@require_GET
def municipality_by_code(request: HttpRequest, lg_code: str) -> HttpResponse:
    """A Japanese authority by its local government code: a permanent redirect to its page."""
    place = get_object_or_404(Municipality.objects.only("pk"), lg_code=lg_code)
    return redirect("pages:municipality", pk=place.pk, permanent=True)


def _page(
    request: HttpRequest, queryset: Any, *, per_page: int = 50, param: str = "page", count: int | None = None
) -> Page:
    """One page of `queryset` (a bad or too large page number gives the nearest page, never a 500);
    `count`: the number of rows when a cached figure knows it (no count query)."""
    paginator = Paginator(queryset, per_page) if count is None else CountedPaginator(queryset, per_page, count=count)
    return paginator.get_page(request.GET.get(param))


@public_page
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Home and foreign authorities matching `q`, best match first (the search box's full results)."""
    query = request.GET.get("q", "").strip()[:100]
    page = _page(request, Municipality.objects.search(query).select_related("parent")) if query else None
    return render(request, "pages/search.html", {"q": query, "page": page})


@public_page
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """Every authority, filtered by country, prefecture, tier and whether it has partners; sortable."""
    form = DirectoryForm(request.GET or None)
    as_of = today()
    queryset = Municipality.objects.existing(as_of=as_of).select_related("parent")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            queryset = queryset.search(data["q"])
        if data["country"]:
            queryset = queryset.of_country(data["country"])
        if data["tier"]:
            queryset = queryset.filter(tier=data["tier"])
        if data["prefecture"]:
            queryset = queryset.filter(parent=data["prefecture"])
        without = Municipality.objects.without_relationship(as_of=as_of, include_domestic=True).values("pk")
        if data["has_partners"] == "yes":
            queryset = queryset.exclude(pk__in=without)
        elif data["has_partners"] == "no":
            queryset = queryset.filter(pk__in=without)
        sort = data["sort"] or "name"
    else:
        sort = "name"
    queryset = queryset.with_agreement_counts(as_of=as_of, include_domestic=True)
    orderings = {
        "name": ("country", "name", "pk"),
        "-population": (F("population").desc(nulls_last=True), "name", "pk"),
        "-partners": ("-agreement_count", "name", "pk"),
        "code": (F("lg_code").asc(nulls_last=True), "country", "name", "pk"),
    }
    page = _page(request, queryset.order_by(*orderings[sort]))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "pages/directory.html", {"form": form, "page": page, "query": query.urlencode()})


@public_page
@require_GET
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    """One relationship: both sides, dates, status history with reasons, CLAIR facts, vitality
    explained, public activity, source. Internal notes and contacts are never on this page."""
    as_of = today()
    relationship = get_object_or_404(
        TwinningAgreement.objects.with_sides().with_vitality(as_of=as_of).defer("internal_notes", "internal_contact"),
        pk=pk,
    )
    history = list(relationship.status_changes.chronological())
    activities = list(relationship.activities.order_by("-occurred_on", "-pk"))
    window_start = years_before(as_of, VITALITY_YEARS)
    context = {
        "agreement": relationship,
        "as_of": as_of,
        "history": history,
        "activities": activities,
        "window_start": window_start,
        "demo": bool(relationship.vitality_rests_on_demo),
    }
    return render(request, "pages/agreement.html", context)


#: Links on one page of a country's page (the map draws the page's links).
COUNTRY_PAGE = 100


@public_page
@require_GET
def country(request: HttpRequest, code: str) -> HttpResponse:
    """Every link between the home country and one country: counts, the links by the home side's
    prefecture (page by page, in prefecture order) on a world map. Four queries: the data version,
    the counts and the links' order (a cached figure: none while the data is unchanged), the page's
    links with their sides and vitality."""
    code = code.upper()
    if len(code) != 2 or not code.isalpha() or code == HOME_COUNTRY:
        raise Http404
    as_of = today()
    links = TwinningAgreement.objects.filter(
        Q(country_a=HOME_COUNTRY, country_b=code) | Q(country_a=code, country_b=HOME_COUNTRY)
    )
    home_is_a = Q(country_a=HOME_COUNTRY)

    def figures() -> dict[str, Any]:
        counts = links.with_vitality(as_of=as_of).aggregate(
            links=Count("pk"),
            active=Count("pk", filter=Q(status="active")),
            # Not named `in_name_only`: an aggregate's name would shadow the annotation it filters on.
            silent=Count("pk", filter=Q(in_name_only=True)),
            on_demo=Count("pk", filter=Q(vitality_rests_on_demo=True)),
            home_authorities=Count(
                Case(When(home_is_a, then=F("municipality_a")), default=F("municipality_b")), distinct=True
            ),
            partner_authorities=Count(
                Case(When(home_is_a, then=F("municipality_b")), default=F("municipality_a")), distinct=True
            ),
        )
        # The links in page order, by the home side's prefecture: ordering thousands of links joined
        # to both sides costs more than the page itself, so the order is a figure cached with the counts.
        order = links.order_by(
            Case(
                When(home_is_a, then=F("municipality_a__parent__lg_code")), default=F("municipality_b__parent__lg_code")
            ).asc(nulls_last=True),
            "pk",
        )
        return {"counts": counts, "ids": list(order.values_list("pk", flat=True))}

    version = data_version()
    shared = cached_figure(
        "country", as_of=as_of, version=version, compute=figures, country=HOME_COUNTRY, partner_country=code
    )
    counts = shared["counts"]
    if not counts["links"] and not Municipality.objects.of_country(code).exists():
        raise Http404
    page = _page(request, shared["ids"], per_page=COUNTRY_PAGE)

    def page_context() -> dict[str, Any]:
        on_page = links.with_sides().with_vitality(as_of=as_of).in_bulk(page.object_list)
        rows = []
        for pk in page.object_list:
            if pk not in on_page:  # deleted since the order was cached (its write is a new data version)
                continue
            link = on_page[pk]
            home, partner = (
                (link.municipality_a, link.municipality_b)
                if link.country_a == HOME_COUNTRY
                else (link.municipality_b, link.municipality_a)
            )
            rows.append({"agreement": link, "home": home, "partner": partner, "prefecture": home.parent or home})
        return {
            "code": code,
            "rows": rows,
            "page": page,
            "as_of": as_of,
            "counts": {**counts, "in_name_only": counts["silent"]},
            "map_data": {
                "centre": 150,
                "links": [_link(row["home"], row["partner"], row["agreement"]) for row in rows],
            },
        }

    body = cached_body(
        request,
        "country-page",
        template="pages/_country_body.html",
        as_of=as_of,
        context=page_context,
        version=version,
        country=HOME_COUNTRY,
        partner_country=code,
        page=page.number,
    )
    return render(request, "pages/country.html", {"code": code, "body": body, "demo": bool(counts["on_demo"])})


def _point(place: Municipality) -> dict[str, Any]:
    return {
        "name": place.name_en or place.name,
        "lat": place.latitude,
        "lng": place.longitude,
        "url": page_url("pages:municipality", place.pk),
    }


def _link(home: Municipality, partner: Municipality, relationship: TwinningAgreement) -> dict[str, Any]:
    return {"from": _point(home), "to": _point(partner), "vitality": getattr(relationship, "vitality", "")}


@public_page
@require_GET
def coverage_page(request: HttpRequest) -> HttpResponse:
    """The CLAIR-style table by tier for `as_of` and `basis`, with live coverage, the 4–8 band, a
    chart, and the drill-down by prefecture (table and map); downloads of what is shown."""
    form = AsOfForm(request.GET or None, initial={"as_of": today(), "basis": CountingBasis.ALL})
    params = form.params()

    def figures() -> dict[str, Any]:
        return {
            "coverage": audits.coverage(country=HOME_COUNTRY, **params),
            "prefectures": audits.coverage_by_prefecture(country=HOME_COUNTRY, **params),
            "multilateral": diplomacy.multilateral_coverage(country=HOME_COUNTRY, as_of=params["as_of"]),
        }

    shared = cached_figure("coverage", compute=figures, country=HOME_COUNTRY, **params)
    coverage, prefectures = shared["coverage"], shared["prefectures"]
    download = urlencode(
        {
            "country": HOME_COUNTRY,
            "as_of": params["as_of"].isoformat(),
            "basis": params["basis"],
            "exclude_demo": "true" if params["exclude_demo"] else "false",
        }
    )
    context = {
        "form": form,
        "as_of": params["as_of"],
        "basis": params["basis"],
        "coverage": coverage,
        "prefectures": prefectures,
        "prefecture_map": {row["name"]: [row["rate"], row["live_rate"], row["authorities"]] for row in prefectures},
        "band": (audits.BAND_LOW, audits.BAND_HIGH),
        "download": download,
        "demo": coverage["rests_on_demo_activity"],
        "demo_share": coverage["demo_share"],
        "multilateral": shared["multilateral"],
    }
    return render(request, "pages/coverage.html", context)


@public_page
@require_GET
def gaps(request: HttpRequest) -> HttpResponse:
    """Authorities without a partner (by tier and prefecture, map and list), and foreign
    authorities without a home partner, largest first, per partner country."""
    form = GapsForm(request.GET or None)
    as_of = today()
    data = form.cleaned_data if form.is_valid() else {"tier": "", "prefecture": None, "partner_country": ""}
    authorities = audits.gaps_authorities(
        country=HOME_COUNTRY,
        as_of=as_of,
        tier=data["tier"] or None,
        prefecture=data["prefecture"].pk if data["prefecture"] else None,
    )
    foreign = audits.gaps_foreign(country=HOME_COUNTRY, as_of=as_of, partner_country=data["partner_country"] or None)
    version = data_version()
    partner_rows = cached_figure(
        "partner-countries",
        as_of=as_of,
        version=version,
        compute=lambda: audits.partner_countries(country=HOME_COUNTRY, as_of=as_of)["rows"],
        country=HOME_COUNTRY,
    )
    # Counting the foreign authorities without a home partner reads every foreign authority: the
    # counts are figures shared by every reader, cached like the others (the pages are not).
    counts = cached_figure(
        "gaps-counts",
        as_of=as_of,
        version=version,
        compute=lambda: {"authorities": authorities.count(), "foreign": foreign.count()},
        country=HOME_COUNTRY,
        tier=data["tier"],
        prefecture=data["prefecture"].pk if data["prefecture"] else "",
        partner_country=data["partner_country"],
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("fpage", None)
    authorities_page = _page(request, authorities, count=counts["authorities"])
    foreign_page = _page(request, foreign, param="fpage", count=counts["foreign"])
    context = {
        "form": form,
        "as_of": as_of,
        "authorities": authorities_page,
        "foreign": foreign_page,
        "partner_country": data["partner_country"],
        "partner_countries": [row["partner_country"] for row in partner_rows],
        "query": query.urlencode(),
        "standings": standing.Standing,
    }
    body = cached_body(
        request,
        "gaps-page",
        template="pages/_gaps_body.html",
        as_of=as_of,
        context=lambda: context,
        version=version,
        cache=not form.errors,
        # What the body shows: the filters as typed (the form echoes them), the two pages' numbers.
        query=hashlib.sha256(context["query"].encode()).hexdigest(),
        page=authorities_page.number,
        fpage=foreign_page.number,
    )
    return render(request, "pages/gaps.html", {"body": body})


@public_page
@require_GET
def networks(request: HttpRequest) -> HttpResponse:
    """The city networks, with the members the registry holds."""
    rows = Network.objects.annotate(member_count=Count("memberships")).order_by("scale", "name")
    return render(request, "pages/networks.html", {"networks": rows, "published": diplomacy.published_counts()})


@public_page
@require_GET
def network(request: HttpRequest, pk: int) -> HttpResponse:
    """One network and its members, by role, with join years, on a map and as a list."""
    item = get_object_or_404(Network, pk=pk)
    members = list(
        item.memberships.select_related("municipality", "municipality__parent").order_by(
            "role", "municipality__country", "municipality__name"
        )
    )
    points = [_point(m.municipality) for m in members if m.municipality.latitude is not None]
    context = {"network": item, "members": members, "map_data": {"points": points}}
    return render(request, "pages/network.html", {**context, **diplomacy.network_counts(item, members)})
