"""The staff workspace's pages: who may see what (the role matrix extended to the pages), the writes
through the services, the conflicts of two tabs, the exports, constant queries."""

from __future__ import annotations

import datetime as dt
import io
from http import HTTPStatus

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from registry.models import ActivityLog, ChangeRecord, Municipality, TwinningAgreement
from registry.services.dates import today
from tests.factories import ForeignCityFactory

pytestmark = pytest.mark.django_db


def _my(language: str = "en") -> str:
    return f"/{language}/my/"


# --- permissions ---------------------------------------------------------------------------------


WORKSPACE_PATHS = [
    "/en/my/",
    "/en/my/profile/",
    "/en/my/review/",
    "/en/my/export/?what=relationships&format=csv",
    "/en/my/agreements/new/",
    "/en/my/agreements/{agreement}/",
    "/en/my/agreements/{agreement}/edit/",
    "/en/my/agreements/{agreement}/status/",
    "/en/my/agreements/{agreement}/renew/",
    "/en/my/agreements/{agreement}/activities/new/",
    "/en/my/activities/{activity}/edit/",
    "/en/my/activities/{activity}/delete/",
]


def test_workspace_anonymous_is_sent_to_sign_in(client, nagasaki_relationships):
    agreement = nagasaki_relationships["live"]
    activity = agreement.activities.first()
    for path in WORKSPACE_PATHS:
        url = path.format(agreement=agreement.pk, activity=activity.pk)
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response["Location"].startswith("/en/accounts/login/?next="), url


def test_workspace_staff_of_another_municipality_is_refused(client, nagasaki_relationships, staff_of_sasebo):
    client.force_login(staff_of_sasebo)
    agreement = nagasaki_relationships["live"]
    activity = agreement.activities.first()
    nagasaki = agreement.municipality_a
    for path in WORKSPACE_PATHS[5:]:
        url = path.format(agreement=agreement.pk, activity=activity.pk)
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN, url
        if not url.endswith(f"/agreements/{agreement.pk}/"):  # a page that only reads
            assert client.post(url, {"version": 1}).status_code == HTTPStatus.FORBIDDEN, url
    assert client.get(f"/en/my/?m={nagasaki.pk}").status_code == HTTPStatus.FORBIDDEN
    assert client.get(f"/en/my/agreements/new/?m={nagasaki.pk}").status_code == HTTPStatus.FORBIDDEN
    assert (
        client.get(f"/en/my/export/?m={nagasaki.pk}&what=relationships&format=csv").status_code == HTTPStatus.FORBIDDEN
    )
    assert client.get("/en/my/review/").status_code == HTTPStatus.FORBIDDEN
    # Nothing changed.
    agreement.refresh_from_db()
    assert agreement.version == 1
    assert ActivityLog.objects.filter(pk=activity.pk).exists()


def test_workspace_staff_never_see_another_municipality_internal_notes(client, staff_of_nagasaki, other_relationship):
    client.force_login(staff_of_nagasaki)
    for url in (
        f"/en/my/agreements/{other_relationship.pk}/",
        f"/en/my/agreements/{other_relationship.pk}/edit/",
        f"/en/my/?m={other_relationship.municipality_a_id}",
        f"/en/my/export/?m={other_relationship.municipality_a_id}&what=relationships&format=csv",
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FORBIDDEN, url
        assert b"SECRET-SASEBO" not in response.content
    # Their own export holds none of another's notes either.
    response = client.get("/en/my/export/?what=relationships&format=csv")
    assert response.status_code == HTTPStatus.OK
    assert b"SECRET-SASEBO" not in b"".join(response.streaming_content)


def test_workspace_coordinator_sees_every_municipality(
    client, coordinator, other_relationship, nagasaki_relationships, django_assert_num_queries
):
    client.force_login(coordinator)
    client.get(f"/en/my/?m={other_relationship.municipality_a_id}")
    # session, user, coordinators group, the municipality, its relationships with vitality
    with django_assert_num_queries(5):
        response = client.get(f"/en/my/?m={other_relationship.municipality_a_id}")
    assert response.status_code == HTTPStatus.OK
    assert "Albuquerque" in response.content.decode()
    response = client.get(f"/en/my/agreements/{other_relationship.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert "SECRET-SASEBO" in response.content.decode()
    # The picker finds authorities by the public search's folding.
    response = client.get("/en/my/", {"q": "ながさき"})
    assert f"?m={nagasaki_relationships['live'].municipality_a_id}" in response.content.decode()


def test_workspace_user_without_municipality_is_told_so(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    response = client.get("/ja/my/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    # The refusal says why, in the reader's language, on a page of the site.
    body = response.content.decode()
    assert "担当の自治体がまだ割り当てられていません" in body and "権限がありません" in body


# --- my municipality -----------------------------------------------------------------------------


def test_my_lists_in_name_only_first_with_when_it_went_quiet(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    response = client.get(_my())
    assert response.status_code == HTTPStatus.OK
    rows = response.context["relationships"]
    order = [agreement.pk for agreement in rows]
    r = nagasaki_relationships
    # In name only first (never active before dormant: the longest silent first), then the live ones.
    assert order[:2] == [r["never"].pk, r["dormant"].pk]
    assert set(order[2:]) == {r["live"].pk, r["fixed"].pk}
    body = response.content.decode()
    last = today().replace(year=today().year - 4)
    assert f"no activity since {last:%B %Y}" in body
    # The fixed-term one ends within 180 days; 3 active relationships abroad: below the band.
    assert [a.pk for a in response.context["standing"].expiring] == [r["fixed"].pk]
    assert response.context["standing"].active == 4
    assert "Within the 4–8 band" in body


def test_my_in_japanese(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    body = client.get(_my("ja")).content.decode()
    assert "提携を登録" in body and "長崎市" in body and "4〜8件の目安" in body
    assert 'lang="ja"' in body


def test_my_costs_a_constant_number_of_queries(
    client, staff_of_nagasaki, nagasaki_relationships, django_assert_num_queries
):
    client.force_login(staff_of_nagasaki)
    client.get(_my())  # warm the session
    # session, user, coordinators group?, assignments, municipalities, relationships with vitality
    with django_assert_num_queries(6):
        assert client.get(_my()).status_code == HTTPStatus.OK
    nagasaki = nagasaki_relationships["live"].municipality_a
    for n in range(5):
        from tests.factories import AgreementFactory

        AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(name=f"Extra {n}"))
    with django_assert_num_queries(6):
        assert client.get(_my()).status_code == HTTPStatus.OK


def test_agreement_page_costs_a_constant_number_of_queries(
    client, staff_of_nagasaki, nagasaki_relationships, django_assert_num_queries
):
    client.force_login(staff_of_nagasaki)
    url = f"/en/my/agreements/{nagasaki_relationships['live'].pk}/"
    client.get(url)
    # session, user, agreement with vitality, coordinators group?, assignments, status history, activities
    with django_assert_num_queries(7):
        assert client.get(url).status_code == HTTPStatus.OK


# --- log an activity -----------------------------------------------------------------------------


def test_log_activity_makes_a_dormant_relationship_active(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    dormant = nagasaki_relationships["dormant"]
    form = client.get(f"/en/my/agreements/{dormant.pk}/activities/new/")
    assert form.status_code == HTTPStatus.OK
    response = client.post(
        f"/en/my/agreements/{dormant.pk}/activities/new/",
        {
            "occurred_on": today().isoformat(),
            "category": "culture",
            "title": "Lantern festival delegation",
            "direction": "inbound",
            "participants": "12",
            "evidence_url": "https://example.org/lanterns",
        },
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0] == f"/en/my/agreements/{dormant.pk}/"
    assert response.context["agreement"].vitality == "active"
    assert 'data-vitality="active"' in response.content.decode()
    activity = ActivityLog.objects.get(title="Lantern festival delegation")
    assert activity.logged_by == staff_of_nagasaki and activity.participants == 12


def test_log_activity_refusal_is_shown_next_to_its_field_in_japanese(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    agreement = nagasaki_relationships["never"]
    response = client.post(
        f"/ja/my/agreements/{agreement.pk}/activities/new/",
        {"occurred_on": "1990-01-01", "category": "culture", "title": "Too early"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.context["form"].errors["occurred_on"]
    assert "締結" in errors[0] or "2010" in errors[0]
    assert not ActivityLog.objects.filter(title="Too early").exists()


def test_edit_and_delete_an_activity(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    activity = nagasaki_relationships["live"].activities.get()
    page = client.get(f"/en/my/activities/{activity.pk}/edit/")
    data = {**page.context["form"].initial, "title": "Student exchange (20 pupils)", "participants": "20"}
    data = {key: value for key, value in data.items() if value is not None}
    response = client.post(f"/en/my/activities/{activity.pk}/edit/", data)
    assert response.status_code == HTTPStatus.FOUND
    activity.refresh_from_db()
    assert activity.title == "Student exchange (20 pupils)" and activity.version == 2
    response = client.post(f"/en/my/activities/{activity.pk}/delete/", {"version": "2"})
    assert response.status_code == HTTPStatus.FOUND
    assert not ActivityLog.objects.filter(pk=activity.pk).exists()


def test_activity_edit_conflict_keeps_what_was_typed(client, staff_of_nagasaki, nagasaki_relationships):
    from registry.services.activity import update_activity

    client.force_login(staff_of_nagasaki)
    activity = nagasaki_relationships["live"].activities.get()
    page = client.get(f"/en/my/activities/{activity.pk}/edit/")
    # Someone else saves meanwhile (a second tab).
    update_activity(activity=activity, title="Renamed in another tab", participants=7)
    data = {key: value for key, value in page.context["form"].initial.items() if value is not None}
    data["description"] = "What I typed"
    response = client.post(f"/en/my/activities/{activity.pk}/edit/", data)
    assert response.status_code == HTTPStatus.CONFLICT
    changed = {change["field"]: change for change in response.context["conflict"]}
    assert changed["title"]["now"] == "Renamed in another tab"
    assert changed["participants"]["now"] == "7"
    form = response.context["form"]
    assert form["description"].value() == "What I typed"
    assert form["version"].value() == "2"
    activity.refresh_from_db()
    assert activity.title == "Renamed in another tab" and activity.description == ""


# --- record, edit, status, renew ----------------------------------------------------------------


def _record_data(**extra):
    return {
        "kind": "friendship",
        "signed_on": "2019-04",
        "expires_on": "",
        "heads_signed": "on",
        "public_notes": "",
        "internal_notes": "Contact: Ms Rossi",
        "source_url": "",
        **extra,
    }


def test_record_a_relationship_with_a_partner_from_the_search(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    nagasaki = nagasaki_relationships["live"].municipality_a
    partner = ForeignCityFactory(name="Middelburg", country="NL")
    suggestions = client.get("/en/search/suggest/", {"q": "middelb"}).json()["results"]
    assert suggestions[0]["id"] == partner.pk
    response = client.post(
        f"/en/my/agreements/new/?m={nagasaki.pk}", _record_data(partner=partner.pk, partner_q="Middelburg")
    )
    assert response.status_code == HTTPStatus.FOUND
    agreement = TwinningAgreement.objects.between(nagasaki, partner).get()
    assert (agreement.kind, agreement.signed_on_display, agreement.signed_on_precision) == (
        "friendship",
        "2019-04",
        "month",
    )
    assert agreement.heads_signed and agreement.internal_notes == "Contact: Ms Rossi"
    assert agreement.created_by == staff_of_nagasaki


def test_record_a_relationship_with_a_new_foreign_partner(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    nagasaki = nagasaki_relationships["live"].municipality_a
    data = _record_data(new_name="Tórshavn", new_name_en="Torshavn", new_country="FO", new_region="Streymoy")
    response = client.post(f"/en/my/agreements/new/?m={nagasaki.pk}", data)
    assert response.status_code == HTTPStatus.FOUND
    partner = Municipality.objects.get(name="Tórshavn")
    assert (partner.country, partner.tier, partner.parent.name) == ("FO", "locality", "Streymoy")
    assert "|torshavn|" in partner.search_key
    assert TwinningAgreement.objects.between(nagasaki, partner).exists()


def test_record_offers_the_existing_partner_instead_of_a_duplicate(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    nagasaki = nagasaki_relationships["live"].municipality_a
    existing = ForeignCityFactory(name="Köln", name_en="Cologne", country="DE")
    before = Municipality.objects.count()
    response = client.post(f"/en/my/agreements/new/?m={nagasaki.pk}", _record_data(new_name="Koln", new_country="DE"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["offered"] == existing
    assert response.context["form"]["partner"].value() == str(existing.pk)
    assert "already recorded" in response.content.decode()
    assert Municipality.objects.count() == before
    # Submitted again as offered: the relationship is with the existing authority.
    data = {k: v for k, v in response.context["form"].data.items()}
    assert client.post(f"/en/my/agreements/new/?m={nagasaki.pk}", data).status_code == HTTPStatus.FOUND
    assert TwinningAgreement.objects.between(nagasaki, existing).exists()
    assert Municipality.objects.count() == before


def test_record_a_duplicate_pair_is_refused_next_to_the_partner(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    live = nagasaki_relationships["live"]
    response = client.post(
        f"/en/my/agreements/new/?m={live.municipality_a_id}",
        _record_data(partner=live.municipality_b_id, partner_q="Saint Paul"),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already have an agreement" in response.context["form"].errors["partner_q"][0]


def test_change_status_and_renew(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    fixed = nagasaki_relationships["fixed"]
    response = client.post(
        f"/en/my/agreements/{fixed.pk}/renew/",
        {"version": fixed.version, "expires_on": (fixed.expires_on + dt.timedelta(days=365 * 3)).isoformat()},
    )
    assert response.status_code == HTTPStatus.FOUND
    fixed.refresh_from_db()
    assert fixed.expires_on > today() + dt.timedelta(days=900) and fixed.version == 2
    dormant = nagasaki_relationships["dormant"]
    response = client.post(
        f"/en/my/agreements/{dormant.pk}/status/",
        {"version": dormant.version, "status": "suspended", "on": today().isoformat(), "reason": "Budget freeze"},
    )
    assert response.status_code == HTTPStatus.FOUND
    dormant.refresh_from_db()
    assert (dormant.status, dormant.status_reason) == ("suspended", "Budget freeze")
    assert ChangeRecord.objects.filter(object_id=dormant.pk, action="status", changed_by=staff_of_nagasaki).exists()


def test_status_refusal_names_the_field(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    live = nagasaki_relationships["live"]
    response = client.post(
        f"/en/my/agreements/{live.pk}/status/",
        {"version": live.version, "status": "active", "on": today().isoformat(), "reason": "x"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already" in response.context["form"].errors["status"][0]


def test_edit_conflict_from_a_second_tab_shows_what_changed_and_keeps_input(
    client, staff_of_nagasaki, nagasaki_relationships
):
    from registry.services.agreements import update_agreement

    client.force_login(staff_of_nagasaki)
    live = nagasaki_relationships["live"]
    first_tab = client.get(f"/en/my/agreements/{live.pk}/edit/").context["form"]
    update_agreement(agreement=live, public_notes="Saved in the second tab", kind="friendship")
    data = {k: v for k, v in first_tab.initial.items() if v not in (None, False)}
    data["exchange_fields"] = []
    data["internal_notes"] = "My careful note"
    response = client.post(f"/en/my/agreements/{live.pk}/edit/", data)
    assert response.status_code == HTTPStatus.CONFLICT
    changed = {change["field"]: (change["then"], change["now"]) for change in response.context["conflict"]}
    assert changed == {"kind": ("Sister city", "Friendship city"), "public_notes": ("—", "Saved in the second tab")}
    live.refresh_from_db()
    assert live.internal_notes == "" and live.public_notes == "Saved in the second tab"
    # Saved again, deliberately, over the version shown.
    again = {k: v for k, v in response.context["form"].data.items()}
    again["kind"] = "friendship"
    again["public_notes"] = "Saved in the second tab"
    assert client.post(f"/en/my/agreements/{live.pk}/edit/", again).status_code == HTTPStatus.FOUND
    live.refresh_from_db()
    assert live.internal_notes == "My careful note" and live.public_notes == "Saved in the second tab"


def test_status_conflict_keeps_the_reason(client, staff_of_nagasaki, nagasaki_relationships):
    from registry.services.agreements import update_agreement

    client.force_login(staff_of_nagasaki)
    live = nagasaki_relationships["live"]
    version = live.version
    update_agreement(agreement=live, public_notes="changed")
    response = client.post(
        f"/en/my/agreements/{live.pk}/status/",
        {"version": version, "status": "suspended", "on": today().isoformat(), "reason": "My long reason"},
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.context["form"]["reason"].value() == "My long reason"
    live.refresh_from_db()
    assert live.status == "active"


# --- exports -------------------------------------------------------------------------------------


def test_export_xlsx_and_csv_of_my_relationships_and_activities(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    response = client.get("/en/my/export/", {"what": "relationships", "format": "xlsx"})
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"].startswith('attachment; filename="relationships-')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("id", "municipality", "partner")
    assert len(rows) == 1 + 4
    vitality = {row[2]: row[10] for row in rows[1:]}
    assert vitality["Santos"] == "dormant" and vitality["Saint Paul"] == "active"
    response = client.get("/en/my/export/", {"what": "activities", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Student exchange" in text and text.splitlines()[0].startswith("id,agreement,municipality")


def test_export_bad_choice_goes_back_with_a_message(client, staff_of_nagasaki, nagasaki_relationships):
    client.force_login(staff_of_nagasaki)
    response = client.get("/en/my/export/", {"what": "passwords", "format": "csv"}, follow=True)
    assert response.redirect_chain[0][0] == "/en/my/"
    assert "Choose relationships or activities" in response.content.decode()


# --- profile -------------------------------------------------------------------------------------


def test_profile_turns_digests_off(client, staff_of_nagasaki):
    client.force_login(staff_of_nagasaki)
    assert client.get("/en/my/profile/").status_code == HTTPStatus.OK
    response = client.post("/en/my/profile/", {"language": "en"})
    assert response.status_code == HTTPStatus.FOUND
    staff_of_nagasaki.staff_profile.refresh_from_db()
    assert staff_of_nagasaki.staff_profile.digests_enabled is False
    assert staff_of_nagasaki.staff_profile.language == "en"


# --- sign in / out -------------------------------------------------------------------------------


def test_sign_in_and_out_through_the_pages(client, staff_of_nagasaki):
    from tests.workspace.conftest import PASSWORD

    page = client.get("/ja/accounts/login/")
    assert page.status_code == HTTPStatus.OK and "ログイン" in page.content.decode()
    response = client.post("/ja/accounts/login/", {"username": "staff_nagasaki", "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/ja/my/"
    assert client.get("/ja/my/").status_code == HTTPStatus.OK
    response = client.post("/ja/accounts/logout/")
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/ja/my/").status_code == HTTPStatus.FOUND


def test_sign_in_lockout_on_the_pages(client, staff_of_nagasaki, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/en/accounts/login/", {"username": "staff_nagasaki", "password": "wrong"})
    from tests.workspace.conftest import PASSWORD

    response = client.post("/en/accounts/login/", {"username": "staff_nagasaki", "password": PASSWORD})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many failed sign-ins" in response.content.decode()
    assert "Retry-After" in response


def test_password_reset_sends_a_link_in_the_reader_language(client, staff_of_nagasaki, mailoutbox):
    response = client.post("/ja/accounts/password_reset/", {"email": staff_of_nagasaki.email})
    assert response.status_code == HTTPStatus.FOUND
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [staff_of_nagasaki.email]
    assert "/ja/accounts/reset/" in message.body
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    page = client.get(path, follow=True)
    assert page.status_code == HTTPStatus.OK and page.context["validlink"]


def test_header_links_sign_in_or_my_municipality(client, staff_of_nagasaki):
    assert 'href="/en/accounts/login/"' in client.get("/en/networks/").content.decode()
    client.force_login(staff_of_nagasaki)
    body = client.get("/en/networks/").content.decode()
    assert 'href="/en/my/"' in body and 'action="/en/accounts/logout/"' in body


def test_urls_are_the_contract():
    assert reverse("login") == "/en/accounts/login/"
    assert reverse("workspace:my") == "/en/my/"
    assert reverse("workspace:review") == "/en/my/review/"


def test_about_to_become_in_name_only_comes_before_the_live_ones(client, staff_of_nagasaki, nagasaki):
    from registry.services.dates import years_before
    from tests.factories import ActivityFactory, AgreementFactory

    soon = AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(name="Soon"))
    # Its last activity leaves the three-year window in about two months.
    ActivityFactory(agreement=soon, occurred_on=years_before(today(), 3) + dt.timedelta(days=60))
    fine = AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(name="Fine"))
    ActivityFactory(agreement=fine, occurred_on=today() - dt.timedelta(days=10))
    client.force_login(staff_of_nagasaki)
    response = client.get("/en/my/")
    rows = response.context["relationships"]
    assert [(a.pk, a.attention) for a in rows] == [(soon.pk, 1), (fine.pk, 2)]
    dormant_after = years_before(today(), 3) + dt.timedelta(days=60)
    dormant_after = dormant_after.replace(year=dormant_after.year + 3)
    assert f"dormant after {dormant_after:%B %Y}" in response.content.decode()
    assert "soon in name only" in response.content.decode()


def test_password_change_through_the_pages(client, staff_of_nagasaki):
    from tests.workspace.conftest import PASSWORD

    client.force_login(staff_of_nagasaki)
    assert client.get("/ja/accounts/password_change/").status_code == HTTPStatus.OK
    response = client.post(
        "/ja/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "lantern festival 2026", "new_password2": "lantern festival 2026"},
    )
    assert response.status_code == HTTPStatus.FOUND
    staff_of_nagasaki.refresh_from_db()
    assert staff_of_nagasaki.check_password("lantern festival 2026")


def test_staff_of_two_municipalities_pick_between_them(
    client, staff_of_nagasaki, nagasaki_relationships, other_relationship
):
    from registry.models import StaffAssignment

    sasebo = other_relationship.municipality_a
    StaffAssignment.objects.create(user=staff_of_nagasaki, municipality=sasebo)
    client.force_login(staff_of_nagasaki)
    body = client.get("/en/my/").content.decode()
    assert f'href="?m={sasebo.pk}"' in body
    response = client.get(f"/en/my/?m={sasebo.pk}")
    assert [a.pk for a in response.context["relationships"]] == [other_relationship.pk]
    # Their export covers both without `m`.
    export = client.get("/en/my/export/", {"what": "relationships", "format": "csv"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "SECRET-SASEBO" in text and "Santos" in text
