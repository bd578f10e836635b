"""merge_municipality: a merged authority's relationships pass to its successor."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from registry.models import ChangeRecord, NetworkMembership, TwinningAgreement
from registry.services.agreements import sign_agreement, update_agreement
from registry.services.errors import StaleVersion
from registry.services.memberships import update_membership
from registry.services.municipalities import merge_municipality
from tests.factories import (
    AgreementFactory,
    ForeignCityFactory,
    MembershipFactory,
    MunicipalityFactory,
    NetworkFactory,
)

pytestmark = pytest.mark.django_db


def test_merge_moves_agreements_and_memberships_and_records_it(coordinator):
    town = MunicipalityFactory(tier="town", name="旧町")
    city = MunicipalityFactory(name="新市")
    partner, shared_partner = ForeignCityFactory(), ForeignCityFactory()
    moved = AgreementFactory(municipality_a=town, municipality_b=partner)
    ended = AgreementFactory(municipality_a=town, municipality_b=shared_partner)
    continuing = AgreementFactory(municipality_a=shared_partner, municipality_b=city)
    network, other_network = NetworkFactory(), NetworkFactory()
    moved_membership = MembershipFactory(network=network, municipality=town)
    MembershipFactory(network=other_network, municipality=town)
    MembershipFactory(network=other_network, municipality=city)

    result = merge_municipality(merged=town, successor=city, on="2005-03-22", by=coordinator)

    town.refresh_from_db()
    assert (town.successor, town.abolished_on) == (city, dt.date(2005, 3, 22))
    assert result.moved_agreements == [moved.pk]
    assert result.ended_agreements == [ended.pk]
    moved.refresh_from_db()
    ended.refresh_from_db()
    assert moved.municipality_a == city
    assert (ended.status, ended.status_changed_on) == ("terminated", dt.date(2005, 3, 22))
    assert f"#{continuing.pk}" in ended.status_reason
    assert NetworkMembership.objects.get(pk=moved_membership.pk).municipality == city
    assert NetworkMembership.objects.filter(municipality=town, left_on=dt.date(2005, 3, 22)).count() == 1
    assert ChangeRecord.objects.filter(
        action="merge", object_id=moved.pk, content_type__model="twinningagreement"
    ).get().changes == {"municipality_a_id": [town.pk, city.pk]}


def test_merge_raises_the_version_of_every_row_it_changes():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    shared_partner = ForeignCityFactory()
    moved = AgreementFactory(municipality_a=ForeignCityFactory(), municipality_b=town)
    ended = AgreementFactory(municipality_a=town, municipality_b=shared_partner)
    AgreementFactory(municipality_a=city, municipality_b=shared_partner)
    network, shared_network = NetworkFactory(), NetworkFactory()
    moved_membership = MembershipFactory(network=network, municipality=town)
    ended_membership = MembershipFactory(network=shared_network, municipality=town)
    MembershipFactory(network=shared_network, municipality=city)

    merge_municipality(merged=town, successor=city, on="2005-03-22")

    assert TwinningAgreement.objects.get(pk=moved.pk).version == 2
    assert TwinningAgreement.objects.get(pk=ended.pk).version == 2
    assert NetworkMembership.objects.get(pk=moved_membership.pk).version == 2
    assert NetworkMembership.objects.get(pk=ended_membership.pk).version == 2
    # A client still holding the version it read before the merger is told to reload.
    with pytest.raises(StaleVersion):
        update_agreement(agreement=moved, public_notes="edited from a stale form", expected_version=1)
    with pytest.raises(StaleVersion):
        update_membership(membership=moved_membership, role="observer", expected_version=1)


def test_merge_ends_agreement_between_the_two_merging_authorities():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    domestic = AgreementFactory(municipality_a=town, municipality_b=city)

    merge_municipality(merged=town, successor=city, on="2006-01-01")

    domestic.refresh_from_db()
    assert domestic.status == "terminated"
    assert TwinningAgreement.objects.filter(municipality_a=city, municipality_b=city).count() == 0


def test_merge_refuses_itself_abolished_and_other_country():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    with pytest.raises(ValidationError, match="itself"):
        merge_municipality(merged=town, successor=town, on="2006-01-01")
    with pytest.raises(ValidationError, match="same country"):
        merge_municipality(merged=town, successor=ForeignCityFactory(), on="2006-01-01")
    merge_municipality(merged=town, successor=city, on="2006-01-01")
    with pytest.raises(ValidationError, match="already abolished"):
        merge_municipality(merged=town, successor=city, on="2007-01-01")


def test_abolished_authority_cannot_sign_after_abolition():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    merge_municipality(merged=town, successor=city, on="2006-01-01")

    with pytest.raises(ValidationError) as error:
        sign_agreement(a=town, b=ForeignCityFactory(), signed_on="2010")

    assert "abolished" in error.value.message_dict["municipality_a"][0]
