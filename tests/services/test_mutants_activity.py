"""registry.services.activity: date limits, who logged it, what `last_activity_on` follows."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from registry.models import ActivityLog, ChangeRecord, TwinningAgreement
from registry.services.activity import (
    delete_activity,
    log_activity,
    refresh_last_activity,
    refresh_last_activity_bulk,
    update_activity,
)
from registry.services.agreements import change_status
from registry.services.errors import StaleVersion
from tests.factories import ActivityFactory, AgreementFactory

pytestmark = pytest.mark.django_db


def _last_activity(agreement: TwinningAgreement) -> dt.date | None:
    return TwinningAgreement.objects.get(pk=agreement.pk).last_activity_on


def test_log_activity_records_who_logged_it_strips_the_title_and_keeps_details(coordinator):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    activity = log_activity(
        agreement=agreement,
        occurred_on="2024-05",
        category="culture",
        title="  Lantern festival  ",
        description="Delegation of 12",
        direction="inbound",
        participants=12,
        evidence_url="https://example.org/lanterns",
        is_demo=True,
        by=coordinator,
    )

    stored = ActivityLog.objects.get(pk=activity.pk)
    assert (stored.occurred_on, stored.title, stored.logged_by, stored.is_demo) == (
        dt.date(2024, 5, 1),
        "Lantern festival",
        coordinator,
        True,
    )
    assert (stored.description, stored.direction, stored.participants, stored.evidence_url) == (
        "Delegation of 12",
        "inbound",
        12,
        "https://example.org/lanterns",
    )
    assert _last_activity(agreement) == dt.date(2024, 5, 1)
    record = ChangeRecord.objects.get(content_type__model="activitylog")
    assert (record.action, record.object_id, record.changed_by) == ("create", activity.pk, coordinator)


def test_log_activity_by_anonymous_records_nobody():
    activity = ActivityFactory(by=AnonymousUser())

    assert ActivityLog.objects.get(pk=activity.pk).logged_by is None
    assert (activity.is_demo, activity.description, activity.participants) == (False, "", None)


def test_log_activity_on_the_signing_day_and_on_the_termination_day_is_allowed():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    log_activity(agreement=agreement, occurred_on=dt.date(2000, 4, 1), category="culture", title="Ceremony")
    change_status(agreement=agreement, status="terminated", on="2010-03-31", reason="ended")

    log_activity(agreement=agreement, occurred_on="2010-03-31", category="culture", title="Farewell")
    with pytest.raises(ValidationError) as error:
        log_activity(agreement=agreement, occurred_on="2010-04-01", category="culture", title="Too late")

    assert error.value.message_dict == {
        "occurred_on": ["The agreement was terminated on 2010-03-31; an activity after that cannot be logged."]
    }
    assert _last_activity(agreement) == dt.date(2010, 3, 31)


def test_log_activity_after_a_suspension_is_allowed():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    change_status(agreement=agreement, status="suspended", on="2010-03-31", reason="budget")

    log_activity(agreement=agreement, occurred_on="2012-01-01", category="culture", title="Still in touch")

    assert _last_activity(agreement) == dt.date(2012, 1, 1)


def test_log_activity_reads_the_agreement_as_it_is_now():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    stale = TwinningAgreement.objects.get(pk=agreement.pk)
    change_status(agreement=agreement, status="terminated", on="2010-03-31", reason="ended")

    with pytest.raises(ValidationError):
        log_activity(agreement=stale, occurred_on="2011-01-01", category="culture", title="After the end")


@pytest.mark.parametrize(
    ("occurred_on", "message"),
    [
        (None, "Give the date of the activity."),
        ("", "Give the date of the activity."),
        ("2000-03-31", "The agreement was signed on 2000-04; an activity under it cannot be earlier."),
    ],
)
def test_log_activity_date_messages(occurred_on, message):
    agreement = AgreementFactory(signed_on="2000-04")

    with pytest.raises(ValidationError) as error:
        log_activity(agreement=agreement, occurred_on=occurred_on, category="culture", title="x")

    assert error.value.message_dict == {"occurred_on": [message]}
    assert not ActivityLog.objects.exists()


def test_log_activity_under_an_undated_agreement_takes_any_past_date():
    agreement = AgreementFactory(signed_on=None)

    log_activity(agreement=agreement, occurred_on="1901-01-01", category="culture", title="Old letter")

    assert _last_activity(agreement) == dt.date(1901, 1, 1)


def test_update_activity_moves_last_activity_and_records_the_change(coordinator):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    early = ActivityFactory(agreement=agreement, occurred_on=dt.date(2010, 1, 1))
    late = ActivityFactory(agreement=agreement, occurred_on=dt.date(2020, 1, 1))

    updated = update_activity(activity=late, occurred_on="2005-06", by=coordinator, expected_version=1)

    assert (updated.occurred_on, updated.version) == (dt.date(2005, 6, 1), 2)
    assert _last_activity(agreement) == dt.date(2010, 1, 1)
    record = ChangeRecord.objects.get(action="update")
    assert (record.object_id, record.changed_by, record.changes) == (
        late.pk,
        coordinator,
        {"occurred_on": ["2020-01-01", "2005-06-01"]},
    )
    assert ActivityLog.objects.get(pk=early.pk).version == 1


def test_update_activity_without_a_change_keeps_the_version():
    activity = ActivityFactory(title="Same")

    update_activity(activity=activity, title="Same")

    assert ActivityLog.objects.get(pk=activity.pk).version == 1
    assert not ChangeRecord.objects.filter(action="update").exists()


def test_update_activity_refuses_unknown_fields_bad_dates_and_bad_values():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    activity = ActivityFactory(agreement=agreement)

    with pytest.raises(ValidationError) as error:
        update_activity(activity=activity, agreement=AgreementFactory(), is_demo=True)
    assert error.value.message_dict == {
        "agreement": ["This field cannot be changed here."],
        "is_demo": ["This field cannot be changed here."],
    }
    with pytest.raises(ValidationError) as error:
        update_activity(activity=activity, occurred_on="1999-01-01")
    assert list(error.value.message_dict) == ["occurred_on"]
    with pytest.raises(ValidationError) as error:
        update_activity(activity=activity, category="gossip")
    assert list(error.value.message_dict) == ["category"]
    assert ActivityLog.objects.get(pk=activity.pk).version == 1


def test_delete_activity_falls_back_to_the_one_before_and_leaves_a_note(coordinator):
    agreement = AgreementFactory()
    ActivityFactory(agreement=agreement, occurred_on=dt.date(2010, 1, 1))
    last = ActivityFactory(agreement=agreement, occurred_on=dt.date(2020, 1, 1))
    label = str(last)

    with pytest.raises(StaleVersion):
        delete_activity(activity=last, expected_version=5)
    delete_activity(activity=last, by=coordinator, expected_version=1)

    assert _last_activity(agreement) == dt.date(2010, 1, 1)
    record = ChangeRecord.objects.get(action="delete")
    assert (record.object_id, record.note, record.changed_by) == (last.pk, label, coordinator)


def test_refresh_last_activity_recomputes_each_agreement_given():
    first, second, untouched = AgreementFactory(), AgreementFactory(), AgreementFactory()
    ActivityFactory(agreement=first, occurred_on=dt.date(2011, 1, 1))
    ActivityFactory(agreement=second, occurred_on=dt.date(2012, 1, 1))
    ActivityFactory(agreement=untouched, occurred_on=dt.date(2013, 1, 1))
    TwinningAgreement.objects.update(last_activity_on=None)

    refresh_last_activity([first.pk, second.pk, first.pk])

    assert [_last_activity(a) for a in (first, second, untouched)] == [dt.date(2011, 1, 1), dt.date(2012, 1, 1), None]


def test_refresh_last_activity_bulk_sets_the_latest_or_none():
    with_log, without_log, outside = AgreementFactory(), AgreementFactory(), AgreementFactory()
    ActivityFactory(agreement=with_log, occurred_on=dt.date(2011, 1, 1))
    ActivityFactory(agreement=with_log, occurred_on=dt.date(2015, 1, 1))
    ActivityFactory(agreement=outside, occurred_on=dt.date(2013, 1, 1))
    TwinningAgreement.objects.filter(pk=with_log.pk).update(last_activity_on=None)
    TwinningAgreement.objects.filter(pk=without_log.pk).update(last_activity_on=dt.date(1999, 1, 1))
    TwinningAgreement.objects.filter(pk=outside.pk).update(last_activity_on=None)

    updated = refresh_last_activity_bulk(TwinningAgreement.objects.exclude(pk=outside.pk))

    assert updated == 2
    assert [_last_activity(a) for a in (with_log, without_log, outside)] == [dt.date(2015, 1, 1), None, None]
