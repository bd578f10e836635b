"""The Django admin: coordinators only, writes through the services, constant-cost list pages."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.forms import MultipleChoiceField
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import (
    ActivityLog,
    AgreementStatusChange,
    ChangeRecord,
    Municipality,
    Network,
    StaffAssignment,
    TwinningAgreement,
)
from registry.services.agreements import sign_agreement
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MembershipFactory,
    MunicipalityFactory,
    PrefectureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

User = get_user_model()

REGISTRY_MODELS = [
    "municipality",
    "twinningagreement",
    "activitylog",
    "agreementstatuschange",
    "changerecord",
    "network",
    "networkmembership",
    "staffassignment",
]


@pytest.fixture
def coordinator_client(client, coordinator):
    coordinator.is_staff = True
    coordinator.save(update_fields=["is_staff"])
    client.force_login(coordinator)
    return client


def form_values(form) -> dict[str, Any]:
    """What a browser would post for an unbound form as it was rendered."""
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if value is None or value == []:
            if not isinstance(form.fields[name], MultipleChoiceField):
                data[key] = ""
        elif value is True:
            data[key] = "on"
        elif value is False:
            continue
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        elif isinstance(value, dt.date):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)
    return data


def page_post_data(response, **main: Any) -> dict[str, Any]:
    """The change form and every inline as rendered, with `main` fields overriding the main form."""
    data = form_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(form_values(formset.management_form))
        for form in formset.initial_forms:
            data.update(form_values(form))
    data.update(main)
    return {key: value for key, value in data.items() if value is not None}


def add_inline_form(data: dict[str, Any], prefix: str, **fields: Any) -> None:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    data.update({f"{prefix}-{index}-{name}": value for name, value in fields.items()})


# --- Who may use it ----------------------------------------------------------------------------


def test_admin_refuses_non_coordinator_staff_even_with_model_permissions(client):
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(content_type__app_label="registry"))
    client.force_login(clerk)

    for model in REGISTRY_MODELS:
        assert client.get(reverse(f"admin:registry_{model}_changelist")).status_code == HTTPStatus.FORBIDDEN, model
    assert client.get(reverse("admin:registry_twinningagreement_add")).status_code == HTTPStatus.FORBIDDEN
    index = client.get(reverse("admin:index"))
    assert not [app for app in index.context["app_list"] if app["app_label"] == "registry"]


def test_admin_lets_coordinator_see_every_registry_model(coordinator_client):
    index = coordinator_client.get(reverse("admin:index"))

    registry = next(app for app in index.context["app_list"] if app["app_label"] == "registry")
    # Every model, plus the coverage audit page the site adds to the registry's entries.
    assert sorted(model["object_name"].lower() for model in registry["models"]) == sorted(
        [*REGISTRY_MODELS, "coverage"]
    )
    assert coordinator_client.get(reverse("admin:registry_coverage")).status_code == HTTPStatus.OK
    for model in REGISTRY_MODELS:
        assert coordinator_client.get(reverse(f"admin:registry_{model}_changelist")).status_code == HTTPStatus.OK


def test_admin_history_is_read_only(coordinator_client):
    AgreementFactory()
    record = ChangeRecord.objects.first()

    assert coordinator_client.get(reverse("admin:registry_changerecord_add")).status_code == HTTPStatus.FORBIDDEN
    response = coordinator_client.get(reverse("admin:registry_changerecord_change", args=[record.pk]))
    assert response.status_code == HTTPStatus.OK
    assert not response.context["has_change_permission"]
    assert (
        coordinator_client.post(
            reverse("admin:registry_changerecord_delete", args=[record.pk]), {"post": "yes"}
        ).status_code
        == HTTPStatus.FORBIDDEN
    )


# --- List pages ------------------------------------------------------------------------------------


def populate(count: int) -> None:
    """`count` of everything: agreements (with history), activities, memberships, staff assignments."""
    for _ in range(count):
        prefecture = PrefectureFactory()
        city = MunicipalityFactory(parent=prefecture)
        agreement = AgreementFactory(municipality_a=city, municipality_b=ForeignCityFactory())
        ActivityFactory(agreement=agreement)
        MembershipFactory(municipality=city)
        StaffAssignment.objects.create(user=User.objects.create(username=f"clerk-{city.pk}"), municipality=city)


@pytest.mark.parametrize("model", REGISTRY_MODELS)
def test_admin_changelist_costs_the_same_for_2_and_20_rows(coordinator_client, django_assert_num_queries, model):
    url = reverse(f"admin:registry_{model}_changelist")
    populate(2)
    with CaptureQueriesContext(connection) as two_rows:
        assert coordinator_client.get(url).status_code == HTTPStatus.OK
    populate(18)

    with django_assert_num_queries(len(two_rows.captured_queries)):
        response = coordinator_client.get(url)

    assert response.context["cl"].result_count >= 20


def test_admin_agreement_changelist_queries(coordinator_client, django_assert_num_queries):
    populate(3)

    # 1 session, 2 user, 3 coordinators group (cached on the user for the rest of the request),
    # 4 partner-country filter choices, 5 prefecture filter choices, 6-7 counts (filtered, total),
    # 8-9 the user's and the groups' Django permissions (the sidebar asks for the auth app),
    # 10 the page of agreements with both sides joined (vitality and in-name-only annotated in the
    # same query), 11 clair_countable filter choices. The audit filters' choices are fixed: no query.
    with django_assert_num_queries(11) as queries:
        response = coordinator_client.get(reverse("admin:registry_twinningagreement_changelist"))

    assert len(response.context["cl"].result_list) == 3
    page = queries.captured_queries[9]["sql"]
    assert page.startswith('SELECT "registry_twinningagreement"."id"') and page.count("JOIN") == 2


def test_admin_municipality_search_by_name_reading_english_name_and_code(coordinator_client, nagasaki, saint_paul):
    url = reverse("admin:registry_municipality_changelist")

    for term in ("長崎市", "ナガサキ", "nagasaki", "4220"):
        names = [m.name for m in coordinator_client.get(url, {"q": term}).context["cl"].result_list]
        assert names == ["長崎市"] if term != "nagasaki" else sorted(names) == ["長崎市", "長崎県"], term
    names = [m.name for m in coordinator_client.get(url, {"q": "Saint"}).context["cl"].result_list]
    assert names == ["Saint Paul"]


def test_admin_municipality_filters_by_prefecture_country_and_tier(coordinator_client, nagasaki, saint_paul):
    other = MunicipalityFactory(parent=PrefectureFactory())
    url = reverse("admin:registry_municipality_changelist")

    in_nagasaki = coordinator_client.get(url, {"prefecture": nagasaki.parent_id}).context["cl"].result_list
    assert {m.pk for m in in_nagasaki} == {nagasaki.pk, nagasaki.parent_id}
    assert [m.pk for m in coordinator_client.get(url, {"country": "US"}).context["cl"].result_list] == [saint_paul.pk]
    cities = coordinator_client.get(url, {"tier__exact": "city"}).context["cl"].result_list
    assert {m.pk for m in cities} == {nagasaki.pk, other.pk}


def test_admin_agreement_filters_by_partner_country_and_clair_countable(coordinator_client, nagasaki, saint_paul):
    countable = AgreementFactory(
        municipality_a=nagasaki,
        municipality_b=saint_paul,
        heads_signed=True,
        fields_unrestricted=True,
        assembly_approved=True,
    )
    other = AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(country="KR"))
    url = reverse("admin:registry_twinningagreement_changelist")

    assert [a.pk for a in coordinator_client.get(url, {"country": "KR"}).context["cl"].result_list] == [other.pk]
    counted = coordinator_client.get(url, {"clair_countable__exact": "1"}).context["cl"].result_list
    assert [a.pk for a in counted] == [countable.pk]


# --- Writes through the services ------------------------------------------------------------------


def test_admin_add_agreement_signs_it_with_history_and_change_record(
    coordinator_client, coordinator, nagasaki, saint_paul
):
    url = reverse("admin:registry_twinningagreement_add")
    data = page_post_data(
        coordinator_client.get(url),
        municipality_a=nagasaki.pk,
        municipality_b=saint_paul.pk,
        kind="sister",
        signed_on="1955-12",
        status="active",
        heads_signed="on",
        exchange_fields=["education", "culture"],
    )

    response = coordinator_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    agreement = TwinningAgreement.objects.get()
    assert (agreement.signed_on, agreement.signed_on_precision) == (dt.date(1955, 12, 1), "month")
    assert (agreement.source, agreement.created_by, agreement.exchange_fields) == (
        "manual",
        coordinator,
        ["education", "culture"],
    )
    assert list(agreement.status_changes.values_list("from_status", "to_status", "changed_by")) == [
        ("", "active", coordinator.pk)
    ]
    record = ChangeRecord.objects.get(object_id=agreement.pk, content_type__model="twinningagreement")
    assert (record.action, record.changed_by) == ("create", coordinator)


def test_admin_reversed_duplicate_is_a_form_error_naming_the_existing_agreement(
    coordinator_client, nagasaki, saint_paul
):
    existing = sign_agreement(a=nagasaki, b=saint_paul, signed_on="1955")
    url = reverse("admin:registry_twinningagreement_add")
    data = page_post_data(
        coordinator_client.get(url),
        municipality_a=saint_paul.pk,
        municipality_b=nagasaki.pk,
        kind="sister",
        signed_on="1960",
        status="active",
    )

    response = coordinator_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    errors = response.context["adminform"].form.errors
    assert f"#{existing.pk}" in errors["municipality_b"][0]
    assert TwinningAgreement.objects.count() == 1
    assert ChangeRecord.objects.filter(action="create", content_type__model="twinningagreement").count() == 1


def test_admin_future_signing_date_is_a_form_error(coordinator_client, nagasaki, saint_paul):
    url = reverse("admin:registry_twinningagreement_add")
    data = page_post_data(
        coordinator_client.get(url),
        municipality_a=nagasaki.pk,
        municipality_b=saint_paul.pk,
        kind="sister",
        signed_on="2999-01-01",
        status="active",
    )

    response = coordinator_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert "in the future" in response.context["adminform"].form.errors["signed_on"][0]
    assert not TwinningAgreement.objects.exists()


def test_admin_edit_agreement_goes_through_update_agreement(coordinator_client, coordinator):
    agreement = AgreementFactory(signed_on="1986-04")
    url = reverse("admin:registry_twinningagreement_change", args=[agreement.pk])
    page = coordinator_client.get(url)
    assert page.context["adminform"].form["signed_on"].value() == "1986-04"

    response = coordinator_client.post(url, page_post_data(page, kind="friendship"))

    assert response.status_code == HTTPStatus.FOUND
    agreement.refresh_from_db()
    assert (agreement.kind, agreement.version, agreement.signed_on_precision) == ("friendship", 2, "month")
    record = ChangeRecord.objects.get(action="update")
    assert (record.changes, record.changed_by) == ({"kind": ["sister", "friendship"]}, coordinator)


def test_admin_edit_of_a_stale_agreement_is_a_form_error(coordinator_client):
    agreement = AgreementFactory()
    url = reverse("admin:registry_twinningagreement_change", args=[agreement.pk])
    data = page_post_data(coordinator_client.get(url), kind="friendship")
    TwinningAgreement.objects.filter(pk=agreement.pk).update(version=5)

    response = coordinator_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert "changed since you read it" in str(response.context["adminform"].form.non_field_errors())
    assert TwinningAgreement.objects.get(pk=agreement.pk).kind == "sister"


def test_admin_clair_countable_and_derived_fields_are_read_only(coordinator_client):
    agreement = AgreementFactory()
    response = coordinator_client.get(reverse("admin:registry_twinningagreement_change", args=[agreement.pk]))

    form = response.context["adminform"].form
    for name in ("clair_countable", "last_activity_on", "version", "status", "municipality_a"):
        assert name not in form.fields
    assert "clair_countable" in response.context["adminform"].readonly_fields


def test_admin_activity_inline_logs_through_service_and_updates_last_activity(coordinator_client, coordinator):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    url = reverse("admin:registry_twinningagreement_change", args=[agreement.pk])
    data = page_post_data(coordinator_client.get(url))
    add_inline_form(data, "activities", occurred_on="2024-05-01", category="education", title="Homestay")

    response = coordinator_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    agreement.refresh_from_db()
    assert agreement.last_activity_on == dt.date(2024, 5, 1)
    activity = ActivityLog.objects.get()
    assert (activity.title, activity.logged_by, activity.is_demo) == ("Homestay", coordinator, False)
    assert ChangeRecord.objects.filter(action="create", content_type__model="activitylog").count() == 1


def test_admin_activity_inline_delete_goes_back_to_the_previous_date(coordinator_client):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    ActivityFactory(agreement=agreement, occurred_on=dt.date(2010, 1, 1))
    latest = ActivityFactory(agreement=agreement, occurred_on=dt.date(2020, 1, 1))
    url = reverse("admin:registry_twinningagreement_change", args=[agreement.pk])
    page = coordinator_client.get(url)
    data = page_post_data(page)
    form = next(f for f in page.context["inline_admin_formsets"][0].formset.forms if f.instance.pk == latest.pk)
    data[form.add_prefix("DELETE")] = "on"

    assert coordinator_client.post(url, data).status_code == HTTPStatus.FOUND

    agreement.refresh_from_db()
    assert agreement.last_activity_on == dt.date(2010, 1, 1)
    assert ChangeRecord.objects.filter(action="delete", content_type__model="activitylog").count() == 1


def test_admin_activity_before_signing_is_an_inline_error_and_nothing_is_saved(coordinator_client):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    url = reverse("admin:registry_twinningagreement_change", args=[agreement.pk])
    data = page_post_data(coordinator_client.get(url), kind="friendship")
    add_inline_form(data, "activities", occurred_on="1999-05-01", category="education", title="Too early")

    response = coordinator_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    formset = response.context["inline_admin_formsets"][0].formset
    assert "cannot be earlier" in str(formset.forms[-1].errors["occurred_on"])
    agreement.refresh_from_db()
    # The agreement's own change in the same save was rolled back too.
    assert (agreement.kind, agreement.version, agreement.last_activity_on) == ("sister", 1, None)
    assert not ActivityLog.objects.exists()


def test_admin_delete_agreement_goes_through_delete_agreement(coordinator_client, coordinator):
    agreement = AgreementFactory()

    response = coordinator_client.post(
        reverse("admin:registry_twinningagreement_delete", args=[agreement.pk]), {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not TwinningAgreement.objects.exists()
    record = ChangeRecord.objects.get(action="delete")
    assert (record.object_id, record.changed_by) == (agreement.pk, coordinator)


# --- Actions ----------------------------------------------------------------------------------------


def test_admin_change_status_action_asks_then_calls_change_status(coordinator_client, coordinator):
    agreements = [AgreementFactory(signed_on=dt.date(2000, 4, 1)) for _ in range(2)]
    url = reverse("admin:registry_twinningagreement_changelist")
    selected = {"action": "change_status_action", "_selected_action": [a.pk for a in agreements]}

    form_page = coordinator_client.post(url, selected)
    assert form_page.status_code == HTTPStatus.OK
    assert "status" in form_page.context["form"].fields

    response = coordinator_client.post(
        url, {**selected, "apply": "1", "status": "suspended", "on": "2012-09-01", "reason": "dispute"}
    )

    assert response.status_code == HTTPStatus.FOUND
    for agreement in agreements:
        agreement.refresh_from_db()
        assert (agreement.status, agreement.status_changed_on, agreement.status_reason) == (
            "suspended",
            dt.date(2012, 9, 1),
            "dispute",
        )
        assert list(agreement.status_changes.order_by("pk").values_list("to_status", "changed_by")) == [
            ("active", None),
            ("suspended", coordinator.pk),
        ]


def test_admin_change_status_action_refusal_is_shown_and_changes_none(coordinator_client):
    early = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    late = AgreementFactory(signed_on=dt.date(2015, 4, 1))
    url = reverse("admin:registry_twinningagreement_changelist")

    response = coordinator_client.post(
        url,
        {
            "action": "change_status_action",
            "_selected_action": [early.pk, late.pk],
            "apply": "1",
            "status": "terminated",
            "on": "2012-09-01",
            "reason": "dispute",
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert "before the signing" in str(response.context["form"].non_field_errors())
    assert set(TwinningAgreement.objects.values_list("status", flat=True)) == {"active"}
    assert AgreementStatusChange.objects.count() == 2


def test_admin_merge_action_moves_agreements_to_successor(coordinator_client, nagasaki, saint_paul):
    town = MunicipalityFactory(tier="town", parent=nagasaki.parent)
    agreement = AgreementFactory(municipality_a=town, municipality_b=saint_paul, signed_on=dt.date(1990, 1, 1))
    url = reverse("admin:registry_municipality_changelist")

    response = coordinator_client.post(
        url,
        {
            "action": "merge_into_successor",
            "_selected_action": [town.pk],
            "apply": "1",
            "successor": nagasaki.pk,
            "on": "2005-01-04",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    town.refresh_from_db()
    agreement.refresh_from_db()
    assert (town.successor, town.abolished_on) == (nagasaki, dt.date(2005, 1, 4))
    assert agreement.municipality_a == nagasaki


def test_admin_merge_into_itself_is_shown_as_an_error(coordinator_client, nagasaki):
    response = coordinator_client.post(
        reverse("admin:registry_municipality_changelist"),
        {
            "action": "merge_into_successor",
            "_selected_action": [nagasaki.pk],
            "apply": "1",
            "successor": nagasaki.pk,
            "on": "2005-01-04",
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert "cannot merge into itself" in str(response.context["form"].non_field_errors())
    assert Municipality.objects.get(pk=nagasaki.pk).abolished_on is None


# --- Fixtures shown in the admin ---------------------------------------------------------------


def test_networks_fixture_loads_the_twelve_networks_with_their_source(coordinator_client):
    call_command("loaddata", str(Path(__file__).resolve().parents[1] / "fixtures" / "networks.json"), verbosity=0)

    response = coordinator_client.get(reverse("admin:registry_network_changelist"))

    assert response.context["cl"].result_count == 12
    assert Network.objects.filter(scale="global").count() == 6
    assert Network.objects.get(slug="mayors-for-peace").founded_year == 1982
    assert all("City diplomacy review (2022)" in source for source in Network.objects.values_list("source", flat=True))


def test_admin_refuses_a_new_country_for_an_authority_with_agreements(coordinator_client, nagasaki, saint_paul):
    AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul)
    url = reverse("admin:registry_municipality_change", args=[saint_paul.pk])

    response = coordinator_client.post(url, page_post_data(coordinator_client.get(url), country="CA"))

    assert response.status_code == HTTPStatus.OK
    assert "country cannot change" in str(response.context["adminform"].form.errors["country"])
    saint_paul.refresh_from_db()
    assert saint_paul.country == "US"


def test_an_admin_edit_shows_at_once_on_the_cached_public_pages(coordinator_client, nagasaki, saint_paul):
    AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul)
    for path in (f"/en/municipalities/{saint_paul.pk}/", f"/en/municipalities/{nagasaki.pk}/", "/en/countries/US/"):
        assert "Saint Paul" in coordinator_client.get(path).content.decode()  # rendered and cached
    url = reverse("admin:registry_municipality_change", args=[saint_paul.pk])
    response = coordinator_client.post(url, page_post_data(coordinator_client.get(url), name="St. Paul, Minnesota"))
    assert response.status_code == HTTPStatus.FOUND
    for path in (f"/en/municipalities/{saint_paul.pk}/", f"/en/municipalities/{nagasaki.pk}/", "/en/countries/US/"):
        html = coordinator_client.get(path).content.decode()
        assert "St. Paul, Minnesota" in html, path
