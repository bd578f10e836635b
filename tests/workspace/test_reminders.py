"""send_reminders: one digest per staff member, in their language, never the same reminder twice within
its period; --dry-run prints and records nothing; a user can turn digests off."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from registry.models import ReminderSent, StaffAssignment, StaffProfile
from registry.services.dates import today
from registry.services.reminders import digests
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_send_reminders_right_recipients_and_reasons(
    mailoutbox, staff_of_nagasaki, staff_of_sasebo, nagasaki_relationships, other_relationship
):
    # Sasebo's only relationship was signed in 2000 and never active: in name only too.
    summary = _run()
    assert "sent 2 digest(s)" in summary
    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert set(by_recipient) == {staff_of_nagasaki.email, staff_of_sasebo.email}
    nagasaki_mail = by_recipient[staff_of_nagasaki.email]
    # Santos (dormant), Porto (never), Vaasa (fixed term ending in 60 days); not Saint Paul (live).
    assert "サントス" not in nagasaki_mail.body  # names as recorded, not translated
    for name in ("Santos", "Porto", "Vaasa"):
        assert name in nagasaki_mail.body
    assert "Saint Paul" not in nagasaki_mail.body
    reasons = set(ReminderSent.objects.filter(user=staff_of_nagasaki).values_list("agreement_id", "reason"))
    r = nagasaki_relationships
    assert reasons == {(r["dormant"].pk, "dormant"), (r["never"].pk, "never"), (r["fixed"].pk, "expiring")}


def test_send_reminders_in_the_user_language(
    mailoutbox, staff_of_nagasaki, staff_of_sasebo, nagasaki_relationships, other_relationship
):
    StaffProfile.objects.create(user=staff_of_sasebo, language="en")
    _run()
    by_recipient = {message.to[0]: message for message in mailoutbox}
    japanese, english = by_recipient[staff_of_nagasaki.email], by_recipient[staff_of_sasebo.email]
    assert "姉妹都市" in japanese.subject and "名ばかり" in japanese.body
    assert english.subject == "Sister-city registry: 1 relationship needs you"
    assert "in name only" in english.body
    # Links to the pages, in the reader's language, on the site's address (REGISTRY_SITE_URL).
    assert f"http://127.0.0.1:8000/en/my/agreements/{other_relationship.pk}/" in english.body
    assert "http://127.0.0.1:8000/ja/my/profile/" in japanese.body


def test_send_reminders_never_repeats_within_the_period(mailoutbox, staff_of_nagasaki, nagasaki_relationships):
    _run()
    assert len(mailoutbox) == 1
    assert "sent 0 digest(s)" in _run()
    assert len(mailoutbox) == 1
    # A relationship that goes quiet later is reminded of, alone.
    later = today() + dt.timedelta(days=1)
    assert "sent 0 digest(s)" in _run("--as-of", later.isoformat())
    # After the period the same reminders come again.
    after = (today() + dt.timedelta(days=31)).isoformat()
    assert "sent 1 digest(s)" in _run("--as-of", after)
    assert len(mailoutbox) == 2


def test_send_reminders_dry_run_prints_and_records_nothing(mailoutbox, staff_of_nagasaki, nagasaki_relationships):
    out = _run("--dry-run")
    assert f"To: {staff_of_nagasaki.email} (ja)" in out and "Santos" in out
    assert "would send 1 digest(s) with 3 reminder(s)" in out
    assert mailoutbox == [] and not ReminderSent.objects.exists()


def test_send_reminders_respects_the_opt_out_and_inactive_users(
    mailoutbox, staff_of_nagasaki, nagasaki, nagasaki_relationships
):
    StaffProfile.objects.create(user=staff_of_nagasaki, digests_enabled=False)
    colleague = UserFactory(username="colleague", is_active=False)
    StaffAssignment.objects.create(user=colleague, municipality=nagasaki)
    no_email = UserFactory(username="noemail", email="")
    StaffAssignment.objects.create(user=no_email, municipality=nagasaki)
    assert "sent 0 digest(s)" in _run()
    assert mailoutbox == []


def test_digests_cost_a_constant_number_of_queries(
    staff_of_nagasaki, staff_of_sasebo, nagasaki_relationships, other_relationship, django_assert_num_queries
):
    # assignments with users, relationships with vitality, reminders sent, profiles
    with django_assert_num_queries(4):
        assert len(digests(as_of=today())) == 2


def test_send_reminders_bad_input():
    with pytest.raises(CommandError, match="--as-of"):
        call_command("send_reminders", "--as-of", "yesterday")
    with pytest.raises(CommandError, match="--period-days"):
        call_command("send_reminders", "--period-days", "0")
