"""registry.admin_audits on a site of its own: filters, columns and the coverage page."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import path, reverse

from registry import urls as registry_urls
from registry.admin_audits import (
    AgreementCountListFilter,
    AuditAdminSiteMixin,
    InNameOnlyListFilter,
    VitalityListFilter,
    with_agreement_counts_today,
    with_vitality_today,
)
from registry.models import Municipality, TwinningAgreement
from tests.factories import ActivityFactory, AgreementFactory, UserFactory

pytestmark = pytest.mark.django_db


class AuditSite(AuditAdminSiteMixin, admin.AdminSite):
    pass


site = AuditSite(name="audit_admin")
site.register(Municipality)
site.register(TwinningAgreement)
# The project's own patterns beside (not included: its pages use i18n_patterns, which only a root
# URLconf may hold).
urlpatterns = [path("audit-admin/", site.urls), *registry_urls.urlpatterns]


def run_filter(filter_class, model_admin, value, queryset):
    request = RequestFactory().get("/", {filter_class.parameter_name: value})
    params = {filter_class.parameter_name: [value]}
    return filter_class(request, params, queryset.model, model_admin).queryset(request, queryset)


def test_vitality_and_in_name_only_filters_use_the_queryset_rule():
    silent = AgreementFactory()
    alive = AgreementFactory()
    ActivityFactory(agreement=alive, occurred_on=alive.signed_on.replace(year=2025))
    model_admin = admin.ModelAdmin(TwinningAgreement, site)
    queryset = TwinningAgreement.objects.all()

    assert list(run_filter(VitalityListFilter, model_admin, "never", queryset)) == [silent]
    assert list(run_filter(VitalityListFilter, model_admin, "active", queryset)) == [alive]
    assert list(run_filter(InNameOnlyListFilter, model_admin, "yes", queryset)) == [silent]
    # Already annotated (by a changelist's get_queryset): annotated once, filtered the same.
    annotated = with_vitality_today(queryset)
    assert with_vitality_today(annotated) is annotated
    assert list(run_filter(InNameOnlyListFilter, model_admin, "no", annotated)) == [alive]


def test_agreement_count_filter_bands():
    agreement = AgreementFactory()
    model_admin = admin.ModelAdmin(Municipality, site)
    queryset = with_agreement_counts_today(Municipality.objects.filter(country="JP"))

    assert list(run_filter(AgreementCountListFilter, model_admin, "1-3", queryset)) == [agreement.municipality_a]
    assert list(run_filter(AgreementCountListFilter, model_admin, "4-8", queryset)) == []


@pytest.mark.urls(__name__)
def test_coverage_page_and_drill_down(client, admin_user_persona):
    with_partner = AgreementFactory()
    without = AgreementFactory(status="terminated", status_changed_on="2010-01-01").municipality_a
    client.force_login(admin_user_persona)

    index = client.get("/audit-admin/")
    assert b"/audit-admin/audits/coverage/" in index.content
    page = client.get("/audit-admin/audits/coverage/", {"country": "JP"})
    assert page.status_code == 200
    city = next(row for row in page.context["report"]["tiers"] if row["tier"] == "city")
    assert (city["authorities"], city["with_relationship"]) == (2, 1)
    drill = client.get(city["gaps_url"])
    assert [m.pk for m in drill.context["page"]] == [without.pk]
    assert with_partner.municipality_a.name not in drill.content.decode()
    assert client.get("/audit-admin/audits/coverage/locality/").status_code == 404


@pytest.mark.urls(__name__)
def test_coverage_page_needs_staff(client):
    response = client.get("/audit-admin/audits/coverage/")

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_coverage_page_is_for_coordinators_only(client):
    clerk = UserFactory(username="clerk_audit", is_staff=True)
    client.force_login(clerk)

    assert client.get(reverse("admin:registry_coverage")).status_code == HTTPStatus.FORBIDDEN
    assert (
        client.get(reverse("admin:registry_coverage_gaps", kwargs={"tier": "city"})).status_code == HTTPStatus.FORBIDDEN
    )


# --- issue 7: one in-name-only rule, demo activity labelled (world: tests/services/test_vitality_demo.py) ---


@pytest.fixture
def demo_world():
    from tests.services.test_vitality_demo import build_demo_world

    return build_demo_world()


@pytest.fixture
def coordinator_client(client, coordinator):
    coordinator.is_staff = True
    coordinator.save(update_fields=["is_staff"])
    client.force_login(coordinator)
    return client


def _changelist_names(client, world, params) -> set[str]:
    from tests.services.test_vitality_demo import WITH_DEMO

    response = client.get(reverse("admin:registry_twinningagreement_changelist"), params)
    assert response.status_code == HTTPStatus.OK
    by_pk = {getattr(world, name).pk: name for name in WITH_DEMO}
    return {by_pk[agreement.pk] for agreement in response.context["cl"].result_list}


def test_admin_in_name_only_filter_is_the_reports_rule_and_count(coordinator_client, demo_world):
    from registry.services import audits

    flagged = _changelist_names(coordinator_client, demo_world, {"in_name_only": "yes"})
    report = audits.in_name_only(country="JP", as_of=demo_world.as_of)

    assert flagged == {"sasebo_lyon", "kobe_bremen"}
    assert len(flagged) == report.count()
    assert _changelist_names(coordinator_client, demo_world, {"in_name_only": "yes", "exclude_demo": "yes"}) == {
        "sasebo_lyon",
        "kobe_bremen",
        "nagasaki_santos",
        "sasebo_busan",
    }
    assert _changelist_names(coordinator_client, demo_world, {"in_name_only": "outside"}) == {
        "nagasaki_sasebo",
        "lyon_bremen",
    }
    assert _changelist_names(coordinator_client, demo_world, {"vitality": "never", "exclude_demo": "yes"}) == {
        "nagasaki_santos",
        "sasebo_lyon",
        "kobe_bremen",
        "osaka_seattle",
        "nagasaki_sasebo",
    }


def test_admin_vitality_column_says_when_it_rests_on_demo(coordinator_client, demo_world):
    from registry.admin_audits import vitality_column

    url = reverse("admin:registry_twinningagreement_changelist")
    rows = {a.pk: a for a in coordinator_client.get(url).context["cl"].result_list}
    assert vitality_column(rows[demo_world.nagasaki_santos.pk]) == "Active (demo activity)"
    assert vitality_column(rows[demo_world.nagasaki_porto.pk]) == "Active"
    assert vitality_column(rows[demo_world.lyon_bremen.pk]) == "—"  # no side in the home country

    page = coordinator_client.get(url, {"exclude_demo": "yes"})
    rows = {a.pk: a for a in page.context["cl"].result_list}
    assert vitality_column(rows[demo_world.nagasaki_santos.pk]) == "Never active"
    assert "Active (demo activity)" not in page.content.decode()


def test_admin_coverage_page_says_live_rests_on_demo_and_shows_it_without(coordinator_client, demo_world):
    url = reverse("admin:registry_coverage")

    page = coordinator_client.get(url, {"country": "JP"})
    assert page.context["report"]["total"]["live_on_demo"] == 1
    assert 'id="demo-note"' in page.content.decode() and "33.3" in page.content.decode()

    page = coordinator_client.get(url, {"country": "JP", "exclude_demo": "on"})
    report = page.context["report"]
    assert (report["exclude_demo"], report["total"]["live"], report["rests_on_demo_activity"]) == (True, 2, False)
    assert "Computed without demo activity." in page.content.decode()


def test_admin_live_relationships_column_says_when_demo_rows_decide(coordinator_client, demo_world):
    from registry.admin_audits import live_agreement_count_column

    response = coordinator_client.get(reverse("admin:registry_municipality_changelist"), {"country": "JP"})
    rows = {m.name: m for m in response.context["cl"].result_list}

    assert live_agreement_count_column(rows["Sasebo"]) == "1 (0 without demo activity)"
    assert live_agreement_count_column(rows["Nagasaki"]) == "2 (1 without demo activity)"
    assert live_agreement_count_column(rows["Kobe"]) == 1  # new, no activity at all: nothing rests on demo
