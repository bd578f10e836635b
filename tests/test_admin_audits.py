"""registry.admin_audits on a site of its own: filters, columns and the coverage page."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import include, path, reverse

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
urlpatterns = [path("audit-admin/", site.urls), path("", include("registry.urls"))]


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
