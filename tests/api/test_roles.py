"""Who may do what, through the API: each role × each action, on its own and on another's agreement.

Not visible → 404; visible but not allowed → 403; anonymous writes → 401 (Token authentication is
listed first, so the answer carries `WWW-Authenticate: Token`).
"""

from __future__ import annotations

from http import HTTPStatus

import pytest

from registry.models import ActivityLog, ChangeRecord, TwinningAgreement
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MembershipFactory, NetworkFactory

pytestmark = pytest.mark.django_db

OK, CREATED, NO_CONTENT = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NO_CONTENT
UNAUTHORIZED, FORBIDDEN, NOT_FOUND = HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND

PERSONAS = {
    # name: (fixture giving the user, or None for anonymous; whose agreement is acted on)
    "public": (None, "own"),
    "staff_on_own": ("staff_of_nagasaki", "own"),
    "staff_on_other": ("staff_of_nagasaki", "other"),
    "coordinator": ("coordinator", "other"),
    "admin": ("admin_user_persona", "other"),
}

#: action → expected status per persona, in PERSONAS order.
MATRIX = {
    "list": (OK, OK, OK, OK, OK),
    "retrieve": (OK, OK, OK, OK, OK),
    "create": (UNAUTHORIZED, CREATED, FORBIDDEN, CREATED, CREATED),
    "update": (UNAUTHORIZED, OK, FORBIDDEN, OK, OK),
    "delete": (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, NO_CONTENT, NO_CONTENT),
    "change_status": (UNAUTHORIZED, OK, FORBIDDEN, OK, OK),
    "log_activity": (UNAUTHORIZED, CREATED, FORBIDDEN, CREATED, CREATED),
    "edit_activity": (UNAUTHORIZED, OK, FORBIDDEN, OK, OK),
    "read_history": (UNAUTHORIZED, NOT_FOUND, NOT_FOUND, OK, OK),
    "add_membership": (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, CREATED, CREATED),
}

CASES = [
    pytest.param(persona, action, expected[index], id=f"{persona}-{action}")
    for action, expected in MATRIX.items()
    for index, persona in enumerate(PERSONAS)
]


def _do(action: str, client, agreement: TwinningAgreement, side) -> tuple[int, bool]:
    """Perform `action`; return the status code and whether the database changed accordingly."""
    detail = f"/api/agreements/{agreement.pk}/"
    if action == "list":
        response = client.get("/api/agreements/")
        return response.status_code, response.status_code != OK or len(response.json()["results"]) == 2
    if action == "retrieve":
        response = client.get(detail)
        return response.status_code, response.status_code != OK or response.json()["id"] == agreement.pk
    if action == "create":
        partner = ForeignCityFactory(name="Vaux-le-Pénil", country="FR")
        before = TwinningAgreement.objects.count()
        response = client.post(
            "/api/agreements/",
            {"municipality_a": side.pk, "municipality_b": partner.pk, "kind": "friendship", "signed_on": "2001-05"},
        )
        created = TwinningAgreement.objects.count() == before + 1
        return response.status_code, created == (response.status_code == CREATED)
    if action == "update":
        response = client.patch(detail, {"public_notes": "Renewed in 2015."}, HTTP_IF_MATCH='"1"')
        changed = TwinningAgreement.objects.get(pk=agreement.pk).public_notes == "Renewed in 2015."
        return response.status_code, changed == (response.status_code == OK)
    if action == "delete":
        response = client.delete(detail, HTTP_IF_MATCH='"1"')
        gone = not TwinningAgreement.objects.filter(pk=agreement.pk).exists()
        return response.status_code, gone == (response.status_code == NO_CONTENT)
    if action == "change_status":
        response = client.post(
            f"{detail}change-status/",
            {"status": "suspended", "on": "2012-09-01", "reason": "Dispute"},
            HTTP_IF_MATCH='"1"',
        )
        changed = TwinningAgreement.objects.get(pk=agreement.pk).status == "suspended"
        return response.status_code, changed == (response.status_code == OK)
    if action == "log_activity":
        before = ActivityLog.objects.count()
        response = client.post(
            "/api/activities/",
            {"agreement": agreement.pk, "occurred_on": "2024-05-01", "category": "education", "title": "Homestay"},
        )
        logged = ActivityLog.objects.count() == before + 1
        return response.status_code, logged == (response.status_code == CREATED)
    if action == "edit_activity":
        from tests.factories import ActivityFactory

        activity = ActivityFactory(agreement=agreement, title="Choir visit")
        response = client.patch(f"/api/activities/{activity.pk}/", {"title": "Choir tour"}, HTTP_IF_MATCH='"1"')
        changed = ActivityLog.objects.get(pk=activity.pk).title == "Choir tour"
        return response.status_code, changed == (response.status_code == OK)
    if action == "read_history":
        response = client.get("/api/history/")
        return response.status_code, response.status_code != OK or response.json()[
            "count"
        ] == ChangeRecord.objects.count()
    if action == "add_membership":
        network = NetworkFactory(name="Mayors for Peace")
        response = client.post("/api/memberships/", {"network": network.pk, "municipality": side.pk, "role": "active"})
        joined = network.memberships.filter(municipality=side).exists()
        return response.status_code, joined == (response.status_code == CREATED)
    raise AssertionError(action)


@pytest.mark.parametrize(("persona", "action", "expected"), CASES)
def test_role_matrix(request, api, own_agreement, other_agreement, nagasaki, sasebo, persona, action, expected):
    user_fixture, target = PERSONAS[persona]
    user = request.getfixturevalue(user_fixture) if user_fixture else None
    agreement, side = (own_agreement, nagasaki) if target == "own" else (other_agreement, sasebo)

    status, consistent = _do(action, api(user), agreement, side)

    assert HTTPStatus(status) == expected
    assert consistent, "the database does not match the answer"


def test_anonymous_write_asks_for_token_authentication(api, own_agreement):
    response = api(None).delete(f"/api/agreements/{own_agreement.pk}/")

    assert response.status_code == UNAUTHORIZED
    assert response["WWW-Authenticate"] == "Token"


def test_user_without_assignment_cannot_record_or_log(api, own_agreement):
    from tests.factories import UserFactory

    client = api(UserFactory(username="nobody"))

    assert client.post("/api/agreements/", {}).status_code == FORBIDDEN
    assert client.post("/api/activities/", {}).status_code == FORBIDDEN
    assert client.patch(f"/api/agreements/{own_agreement.pk}/", {}, HTTP_IF_MATCH='"1"').status_code == FORBIDDEN


def test_staff_cannot_change_memberships_even_of_their_municipality(api, staff_of_nagasaki, nagasaki):
    membership = MembershipFactory(municipality=nagasaki)

    response = api(staff_of_nagasaki).patch(
        f"/api/memberships/{membership.pk}/", {"role": "observer"}, HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == FORBIDDEN
    membership.refresh_from_db()
    assert membership.role == "active"


@pytest.mark.parametrize(("persona", "expected"), [("public", UNAUTHORIZED), ("staff_of_nagasaki", NOT_FOUND)])
def test_history_detail_is_404_for_non_coordinators(request, api, own_agreement, persona, expected):
    user = None if persona == "public" else request.getfixturevalue(persona)
    record = ChangeRecord.objects.first()

    assert api(user).get(f"/api/history/{record.pk}/").status_code == expected


def test_internal_fields_show_only_to_coordinators_and_staff_of_a_side(
    request, api, own_agreement, other_agreement, staff_of_nagasaki, coordinator
):
    def internal_by_id(user) -> dict[int, str | None]:
        rows = api(user).get("/api/agreements/").json()["results"]
        return {row["id"]: row.get("internal_notes") for row in rows}

    assert internal_by_id(None) == {own_agreement.pk: None, other_agreement.pk: None}
    assert internal_by_id(staff_of_nagasaki) == {own_agreement.pk: "Mayor visits in May.", other_agreement.pk: None}
    assert internal_by_id(coordinator) == {
        own_agreement.pk: "Mayor visits in May.",
        other_agreement.pk: "Sasebo's internal note.",
    }
    public_detail = api(None).get(f"/api/agreements/{own_agreement.pk}/").json()
    assert not {"internal_notes", "internal_contact", "needs_review", "review_note"} & set(public_detail)


# --- Staff of side B ---------------------------------------------------------------------------
# Every staff case above acts on an agreement whose side A is the staff's municipality. The rule is
# "staff of either side": the same writes on an agreement where Nagasaki is side B.


@pytest.fixture
def side_b_agreement(nagasaki):
    """Santos – Nagasaki (1972-07): Nagasaki is side B."""
    return AgreementFactory(
        municipality_a=ForeignCityFactory(name="Santos", country="BR"),
        municipality_b=nagasaki,
        signed_on="1972-07",
        internal_notes="Santos file: port exchange.",
    )


def _side_b_write(action: str, client, agreement: TwinningAgreement, nagasaki) -> tuple[int, bool]:
    """Perform `action` on `agreement`; return the status and whether the database agrees with it."""
    detail = f"/api/agreements/{agreement.pk}/"
    if action == "create":
        partner = ForeignCityFactory(name="Porto", country="PT")
        response = client.post(
            "/api/agreements/",
            {"municipality_a": partner.pk, "municipality_b": nagasaki.pk, "kind": "friendship", "signed_on": "1978"},
            format="json",
        )
        created = TwinningAgreement.objects.filter(municipality_a=partner, municipality_b=nagasaki).exists()
        return response.status_code, created == (response.status_code == CREATED)
    if action == "update":
        response = client.patch(detail, {"public_notes": "Port week every May."}, HTTP_IF_MATCH='"1"')
        changed = TwinningAgreement.objects.get(pk=agreement.pk).public_notes == "Port week every May."
        return response.status_code, changed == (response.status_code == OK)
    if action == "change_status":
        response = client.post(
            f"{detail}change-status/",
            {"status": "suspended", "on": "2012-09-01", "reason": "Budget freeze"},
            HTTP_IF_MATCH='"1"',
        )
        changed = TwinningAgreement.objects.get(pk=agreement.pk).status == "suspended"
        return response.status_code, changed == (response.status_code == OK)
    if action == "delete":
        response = client.delete(detail, HTTP_IF_MATCH='"1"')
        gone = not TwinningAgreement.objects.filter(pk=agreement.pk).exists()
        return response.status_code, gone == (response.status_code == NO_CONTENT)
    if action == "log_activity":
        response = client.post(
            "/api/activities/",
            {"agreement": agreement.pk, "occurred_on": "2024-05-01", "category": "economy", "title": "Port fair"},
        )
        logged = agreement.activities.filter(title="Port fair").exists()
        return response.status_code, logged == (response.status_code == CREATED)
    activity = ActivityFactory(agreement=agreement, title="Samba parade")
    url = f"/api/activities/{activity.pk}/"
    if action == "edit_activity":
        response = client.patch(url, {"title": "Samba festival"}, HTTP_IF_MATCH='"1"')
        changed = ActivityLog.objects.get(pk=activity.pk).title == "Samba festival"
        return response.status_code, changed == (response.status_code == OK)
    if action == "delete_activity":
        response = client.delete(url, HTTP_IF_MATCH='"1"')
        gone = not ActivityLog.objects.filter(pk=activity.pk).exists()
        return response.status_code, gone == (response.status_code == NO_CONTENT)
    raise AssertionError(action)


#: action → expected answer for the staff of side B (deleting an agreement is for coordinators only).
SIDE_B_WRITES = {
    "create": CREATED,
    "update": OK,
    "change_status": OK,
    "delete": FORBIDDEN,
    "log_activity": CREATED,
    "edit_activity": OK,
    "delete_activity": NO_CONTENT,
}


@pytest.mark.parametrize(("action", "expected"), SIDE_B_WRITES.items(), ids=SIDE_B_WRITES.keys())
def test_staff_of_side_b_may_write_as_staff_of_side_a(
    api, staff_of_nagasaki, nagasaki, side_b_agreement, action, expected
):
    status, consistent = _side_b_write(action, api(staff_of_nagasaki), side_b_agreement, nagasaki)

    assert HTTPStatus(status) == expected
    assert consistent, "the database does not match the answer"
    if expected != FORBIDDEN:
        assert ChangeRecord.objects.order_by("-pk").first().changed_by == staff_of_nagasaki


@pytest.mark.parametrize("action", SIDE_B_WRITES)
def test_staff_of_neither_side_may_not_write(api, side_b_agreement, nagasaki, sasebo, action):
    """The control for the test above: the same writes by Sasebo's staff are refused."""
    from registry.models import StaffAssignment
    from tests.factories import UserFactory

    staff_of_sasebo = UserFactory(username="staff_sasebo")
    StaffAssignment.objects.create(user=staff_of_sasebo, municipality=sasebo)

    status, consistent = _side_b_write(action, api(staff_of_sasebo), side_b_agreement, nagasaki)

    assert HTTPStatus(status) == FORBIDDEN
    assert consistent, "the database does not match the answer"


def test_staff_of_side_b_read_its_internal_fields(api, staff_of_nagasaki, side_b_agreement, other_agreement):
    activity = ActivityFactory(agreement=side_b_agreement, by=staff_of_nagasaki, title="Port fair")
    client = api(staff_of_nagasaki)

    rows = {row["id"]: row for row in client.get("/api/agreements/").json()["results"]}
    detail = client.get(f"/api/agreements/{side_b_agreement.pk}/").json()
    logged = client.get(f"/api/activities/{activity.pk}/").json()

    assert rows[side_b_agreement.pk]["internal_notes"] == "Santos file: port exchange."
    assert "internal_notes" not in rows[other_agreement.pk]
    assert detail["internal_notes"] == "Santos file: port exchange."
    assert logged["logged_by"] == "staff_nagasaki"
    assert "logged_by" not in api(None).get(f"/api/activities/{activity.pk}/").json()
