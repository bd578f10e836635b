"""log_activity / update_activity / delete_activity keep `last_activity_on` right."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from registry.models import ActivityLog, ChangeRecord
from registry.services.activity import delete_activity, log_activity, update_activity
from registry.services.agreements import change_status
from registry.services.errors import StaleVersion
from tests.factories import ActivityFactory, AgreementFactory

pytestmark = pytest.mark.django_db


def last_activity_of(agreement) -> dt.date | None:
    agreement.refresh_from_db(fields=["last_activity_on"])
    return agreement.last_activity_on


def test_last_activity_on_follows_add_change_and_delete(coordinator):
    agreement = AgreementFactory()
    older = log_activity(agreement=agreement, occurred_on="2019-05-01", category="culture", title="Lantern festival")
    newer = log_activity(agreement=agreement, occurred_on="2023-08-20", category="education", title="Homestay")
    assert last_activity_of(agreement) == dt.date(2023, 8, 20)

    update_activity(activity=newer, occurred_on="2018-01-10", by=coordinator)
    assert last_activity_of(agreement) == dt.date(2019, 5, 1)

    delete_activity(activity=older, by=coordinator)
    assert last_activity_of(agreement) == dt.date(2018, 1, 10)

    delete_activity(activity=newer, by=coordinator)
    assert last_activity_of(agreement) is None
    assert list(ChangeRecord.objects.filter(action="delete").values_list("changed_by", flat=True)) == [
        coordinator.pk,
        coordinator.pk,
    ]


@pytest.mark.parametrize(
    ("occurred_on", "message"),
    [("2099-01-01", "future"), ("1999-03-31", "signed"), ("2024-02-30", "real date"), ("", "date")],
)
def test_log_activity_refuses_bad_dates(occurred_on, message):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    with pytest.raises(ValidationError) as error:
        log_activity(agreement=agreement, occurred_on=occurred_on, category="culture", title="Concert")

    assert message in error.value.message_dict["occurred_on"][0]
    assert not ActivityLog.objects.exists()
    assert last_activity_of(agreement) is None


def test_log_activity_refuses_unknown_category_and_empty_title():
    agreement = AgreementFactory()

    with pytest.raises(ValidationError) as error:
        log_activity(agreement=agreement, occurred_on="2020-01-01", category="party", title=" ")

    assert set(error.value.message_dict) == {"category", "title"}


def test_log_activity_refuses_activity_after_termination():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    change_status(agreement=agreement, status="terminated", on="2015-06-30", reason="City ended the link")

    log_activity(agreement=agreement, occurred_on="2015-06-01", category="administrative", title="Last visit")
    with pytest.raises(ValidationError) as error:
        log_activity(agreement=agreement, occurred_on="2016-01-01", category="culture", title="Concert")

    assert "terminated" in error.value.message_dict["occurred_on"][0]


def test_update_activity_refuses_stale_version():
    activity = ActivityFactory()
    update_activity(activity=activity, title="Renamed", expected_version=1)

    with pytest.raises(StaleVersion):
        update_activity(activity=activity, title="Lost update", expected_version=1)

    activity.refresh_from_db()
    assert (activity.title, activity.version) == ("Renamed", 2)
