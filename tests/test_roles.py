"""Roles (issue 7, point 13): the coordinators group after migrate; grant_role as a service, an
admin action and a command, each giving what the role needs to sign in, each recorded."""

from __future__ import annotations

import io
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from registry.models import ChangeRecord, StaffAssignment
from registry.services import access
from registry.services.roles import grant_role
from tests.factories import MunicipalityFactory, UserFactory, coordinators_group

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "correct horse battery staple"  # UserFactory's


def test_coordinators_group_exists_after_migrate():
    group = Group.objects.get(name=access.COORDINATORS_GROUP)

    assert coordinators_group() == group  # the factories' helper finds the same group


def test_grant_role_coordinator_gives_the_group_and_admin_sign_in(client):
    user = UserFactory(username="sato")
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)

    grant_role(user=user, role="coordinator", by=admin)

    user = User.objects.get(pk=user.pk)
    assert access.is_coordinator(user)
    assert user.is_staff and user.is_active
    # It signs in to the admin with its password and sees the registry.
    assert client.login(username="sato", password=PASSWORD)
    assert client.get("/admin/registry/twinningagreement/").status_code == HTTPStatus.OK
    record = ChangeRecord.objects.get(content_type__model="user", object_id=user.pk)
    assert (record.action, record.changed_by, record.note) == ("update", admin, "Granted the coordinator role.")
    assert record.changes == {"groups": [None, "coordinators"], "is_staff": [False, True]}


def test_grant_role_staff_assigns_the_municipality_and_api_sign_in(client, nagasaki, saint_paul):
    user = UserFactory(username="tanaka", is_active=False)

    grant_role(user=user, role="staff", municipality=nagasaki)

    user = User.objects.get(pk=user.pk)
    assert access.assigned_municipality_ids(user) == frozenset({nagasaki.pk})
    assert user.is_active and not user.is_staff  # the admin has nothing for municipal staff
    response = client.post("/api/auth/token/", {"username": "tanaka", "password": PASSWORD})
    assert response.status_code == HTTPStatus.OK, response.content
    # … and with the token records an agreement of Nagasaki.
    created = client.post(
        "/api/agreements/",
        {"municipality_a": nagasaki.pk, "municipality_b": saint_paul.pk, "kind": "sister"},
        HTTP_AUTHORIZATION=f"Token {response.json()['token']}",
        content_type="application/json",
    )
    assert created.status_code == HTTPStatus.CREATED, created.content
    assert ChangeRecord.objects.filter(content_type__model="staffassignment", action="create").count() == 1


def test_grant_role_twice_changes_and_records_nothing(nagasaki):
    user = UserFactory(username="twice")
    grant_role(user=user, role="staff", municipality=nagasaki)
    records = ChangeRecord.objects.count()

    grant_role(user=user, role="staff", municipality=nagasaki)

    assert StaffAssignment.objects.filter(user=user).count() == 1
    assert ChangeRecord.objects.count() == records


@pytest.mark.parametrize(
    ("role", "with_municipality", "field"),
    [("chief", False, "role"), ("staff", False, "municipality"), ("coordinator", True, "municipality")],
)
def test_grant_role_refuses_bad_input_naming_the_field(nagasaki, role, with_municipality, field):
    user = UserFactory(username="bad_input")

    with pytest.raises(ValidationError) as error:
        grant_role(user=user, role=role, municipality=nagasaki if with_municipality else None)

    assert list(error.value.message_dict) == [field]
    assert not User.objects.get(pk=user.pk).groups.exists()
    assert not StaffAssignment.objects.exists()


def test_grant_role_refuses_an_abolished_municipality(nagasaki):
    import datetime as dt

    abolished = MunicipalityFactory(abolished_on=dt.date(2005, 1, 4), successor=nagasaki)

    with pytest.raises(ValidationError, match="abolished"):
        grant_role(user=UserFactory(), role="staff", municipality=abolished)


def test_grant_role_refuses_a_user_who_could_not_sign_in():
    user = User.objects.create_user(username="nopass")  # no usable password

    with pytest.raises(ValidationError) as error:
        grant_role(user=user, role="coordinator")

    assert "could not sign in" in error.value.message_dict["password"][0]
    assert not User.objects.get(pk=user.pk).is_staff


def test_grant_role_checks_the_password_it_is_given():
    user = User.objects.create_user(username="weak")

    with pytest.raises(ValidationError) as error:
        grant_role(user=user, role="coordinator", password="123")

    assert "password" in error.value.message_dict


# --- the command -----------------------------------------------------------------------------------


def grant(*args: str) -> str:
    out = io.StringIO()
    call_command("grant_role", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_grant_role_command_creates_a_coordinator_who_can_sign_in(client, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "a long enough pass phrase")

    output = grant(
        "suzuki", "coordinator", "--create", "--email", "suzuki@example.org", "--password-from-env", "NEW_PASSWORD"
    )

    assert "Created suzuki: now a coordinator" in output
    assert client.login(username="suzuki", password="a long enough pass phrase")
    assert client.get("/admin/registry/municipality/").status_code == HTTPStatus.OK


def test_grant_role_command_staff_by_local_government_code(nagasaki):
    UserFactory(username="kimura")

    output = grant("kimura", "staff", "--municipality", "422011")

    assert "kimura: now staff of 長崎市 (Nagasaki)" in output
    assert StaffAssignment.objects.get(user__username="kimura").municipality == nagasaki


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "coordinator"], "No user called 'nobody'; add --create"),
        (["kato", "staff", "--municipality", "999999"], "--municipality: no municipality"),
        (["kato", "staff"], "municipality: Name the municipality"),
        (["kato", "coordinator", "--password-from-env", "UNSET_VARIABLE_X"], "UNSET_VARIABLE_X is not set"),
        (["newbie", "coordinator", "--create"], "newbie has no password"),
    ],
)
def test_grant_role_command_refusals_are_command_errors(args, message):
    UserFactory(username="kato")

    with pytest.raises(CommandError, match=message):
        grant(*args)

    assert not User.objects.filter(username="newbie").exists()  # all or nothing
    assert not StaffAssignment.objects.exists()


# --- the admin action ------------------------------------------------------------------------------


def test_admin_grant_role_action_asks_then_grants(client, admin_user_persona, nagasaki):
    users = [UserFactory(username="ito"), UserFactory(username="abe")]
    client.force_login(admin_user_persona)
    selected = {"action": "grant_role_action", "_selected_action": [user.pk for user in users]}

    page = client.post("/admin/auth/user/", selected)
    assert page.status_code == HTTPStatus.OK
    assert "Grant a role" in page.content.decode()

    done = client.post("/admin/auth/user/", {**selected, "apply": "1", "role": "staff", "municipality": nagasaki.pk})

    assert done.status_code == HTTPStatus.FOUND
    assert set(StaffAssignment.objects.values_list("user__username", flat=True)) == {"ito", "abe"}


def test_admin_grant_role_action_refusal_changes_none(client, admin_user_persona):
    users = [UserFactory(username="ok_user"), User.objects.create_user(username="no_password")]
    client.force_login(admin_user_persona)

    page = client.post(
        "/admin/auth/user/",
        {"action": "grant_role_action", "_selected_action": [u.pk for u in users], "apply": "1", "role": "coordinator"},
    )

    assert page.status_code == HTTPStatus.OK
    assert "could not sign in" in page.content.decode()
    assert not User.objects.filter(groups__name="coordinators").exists()


def test_admin_grant_role_action_is_for_admins_only(client, coordinator):
    """User management is the admins': a coordinator with user permissions still has no such action."""
    from django.contrib.auth.models import Permission

    coordinator.is_staff = True
    coordinator.save()
    coordinator.user_permissions.add(*Permission.objects.filter(content_type__model="user"))
    client.force_login(coordinator)

    page = client.get("/admin/auth/user/")

    assert page.status_code == HTTPStatus.OK
    assert "grant_role_action" not in page.content.decode()
