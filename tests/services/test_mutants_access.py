"""registry.services.access, asked directly: each role against side A, side B and neither side.

Written to kill the mutants `make mutate` found alive: the API tests exercise these rules too, but
the mutation run judges the services by the service tests alone.
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from registry.models import ActivityLog, StaffAssignment, TwinningAgreement
from registry.services import access
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MunicipalityFactory,
    UserFactory,
    coordinators_group,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sides(nagasaki):
    """(agreement with Nagasaki as side A, agreement with Nagasaki as side B, someone else's)."""
    side_a = AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory())
    side_b = AgreementFactory(municipality_a=ForeignCityFactory(), municipality_b=nagasaki)
    other = AgreementFactory(municipality_a=MunicipalityFactory(), municipality_b=ForeignCityFactory())
    return side_a, side_b, other


def _fresh(user):
    """The same user as a new object (the access helpers cache on the object they are given)."""
    return type(user).objects.get(pk=user.pk)


def test_is_coordinator_for_the_group_and_superusers_only(coordinator, admin_user_persona, staff_of_nagasaki):
    inactive = UserFactory(username="retired", is_active=False)
    inactive.groups.add(coordinators_group())

    assert access.is_coordinator(coordinator) is True
    assert access.is_coordinator(admin_user_persona) is True
    assert access.is_coordinator(staff_of_nagasaki) is False
    assert access.is_coordinator(inactive) is False
    assert access.is_coordinator(AnonymousUser()) is False
    assert access.is_coordinator(None) is False


def test_is_coordinator_asks_the_database_once_per_user_object(coordinator, django_assert_num_queries):
    user = _fresh(coordinator)

    with django_assert_num_queries(1):
        assert access.is_coordinator(user) is True
        assert access.is_coordinator(user) is True


def test_assigned_municipality_ids_are_the_staff_assignments(staff_of_nagasaki, nagasaki, django_assert_num_queries):
    sasebo = MunicipalityFactory()
    StaffAssignment.objects.create(user=staff_of_nagasaki, municipality=sasebo)
    inactive = UserFactory(username="left_the_office", is_active=False)
    StaffAssignment.objects.create(user=inactive, municipality=nagasaki)
    user = _fresh(staff_of_nagasaki)

    with django_assert_num_queries(1):
        assert access.assigned_municipality_ids(user) == frozenset({nagasaki.pk, sasebo.pk})
        assert access.assigned_municipality_ids(user) == frozenset({nagasaki.pk, sasebo.pk})
    assert access.assigned_municipality_ids(inactive) == frozenset()
    assert access.assigned_municipality_ids(AnonymousUser()) == frozenset()
    assert access.assigned_municipality_ids(None) == frozenset()


def test_staff_of_either_side_may_edit_see_internal_and_log(sides, staff_of_nagasaki):
    side_a, side_b, other = sides

    for agreement in (side_a, side_b):
        assert access.can_edit_agreement(staff_of_nagasaki, agreement) is True
        assert access.can_see_internal_of(staff_of_nagasaki, agreement) is True
        assert access.can_log_activity(staff_of_nagasaki, agreement) is True
    assert access.can_edit_agreement(staff_of_nagasaki, other) is False
    assert access.can_see_internal_of(staff_of_nagasaki, other) is False
    assert access.can_log_activity(staff_of_nagasaki, other) is False
    assert access.can_see_internal(staff_of_nagasaki) is False


def test_staff_may_record_an_agreement_when_either_side_is_theirs(staff_of_nagasaki, nagasaki):
    partner, stranger = ForeignCityFactory(), MunicipalityFactory()

    assert access.can_record_agreement(staff_of_nagasaki, nagasaki, partner) is True
    assert access.can_record_agreement(staff_of_nagasaki, partner, nagasaki) is True
    assert access.can_record_agreement(staff_of_nagasaki, stranger, partner) is False
    assert access.can_record_agreement(None, nagasaki, partner) is False


def test_staff_edit_the_activities_of_either_side(sides, staff_of_nagasaki):
    side_a, side_b, other = sides
    activities = {agreement.pk: ActivityFactory(agreement=agreement) for agreement in sides}

    assert access.can_edit_activity(staff_of_nagasaki, activities[side_a.pk]) is True
    assert access.can_edit_activity(staff_of_nagasaki, activities[side_b.pk]) is True
    assert access.can_edit_activity(staff_of_nagasaki, activities[other.pk]) is False


def test_coordinators_may_do_everything_staff_and_public_may_not(sides, coordinator, staff_of_nagasaki):
    other = sides[2]
    activity = ActivityFactory(agreement=other)

    assert access.can_edit_agreement(coordinator, other) is True
    assert access.can_see_internal_of(coordinator, other) is True
    assert access.can_see_internal(coordinator) is True
    assert access.can_edit_activity(coordinator, activity) is True
    assert access.can_record_agreement(coordinator, MunicipalityFactory(), ForeignCityFactory()) is True
    for check in (
        access.can_delete_agreement,
        access.can_edit_reference_data,
        access.can_read_history,
        access.can_edit_membership,
    ):
        assert check(coordinator) is True, check.__name__
        assert check(staff_of_nagasaki) is False, check.__name__
        assert check(None) is False, check.__name__
    assert access.can_edit_agreement(None, other) is False


def test_editable_agreements_filter_by_role(sides, coordinator, staff_of_nagasaki):
    side_a, side_b, other = sides

    def editable(user) -> set[int]:
        return set(TwinningAgreement.objects.filter(access.editable_agreements(user)).values_list("pk", flat=True))

    assert editable(coordinator) == {side_a.pk, side_b.pk, other.pk}
    assert editable(staff_of_nagasaki) == {side_a.pk, side_b.pk}
    assert editable(UserFactory(username="nobody")) == set()
    assert editable(None) == set()


def test_editable_memberships_only_for_coordinators(coordinator, staff_of_nagasaki):
    from tests.factories import MembershipFactory

    membership = MembershipFactory()
    model = type(membership)

    assert list(model.objects.filter(access.editable_memberships(coordinator))) == [membership]
    assert list(model.objects.filter(access.editable_memberships(staff_of_nagasaki))) == []


def test_everyone_reads_every_agreement_and_activity(sides):
    ActivityFactory(agreement=sides[2])

    assert TwinningAgreement.objects.filter(access.visible_agreements(None)).count() == 3
    assert ActivityLog.objects.filter(access.visible_activities(None)).count() == 1
