"""Concurrent writes: the loser of a race gets a documented answer (400, 404, 412), never a 500.

Threads with their own database connections against committed data (`transaction=True`); on
SQLite the test database is a file (see tests/conftest.py), as db.sqlite3 is in production.
Each race runs for several rounds, since a single one may happen not to overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connection
from rest_framework.test import APIClient

from registry.models import ActivityLog, TwinningAgreement
from tests.factories import AgreementFactory

ROUNDS = 10

Call = Callable[[APIClient], tuple[int, dict]]


def race(user, *calls: Call) -> list[tuple[int, dict]]:
    """Run `calls` at the same moment, each in its own thread with its own connection.

    An exception that escapes a view (the test client re-raises it) counts as a 500 with its text.
    """
    barrier = threading.Barrier(len(calls))
    answers: list[tuple[int, dict]] = [(0, {})] * len(calls)

    def run(index: int, call: Call) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait(timeout=10)
            answers[index] = call(client)
        except Exception as error:  # any escape is the 500 this module is about
            answers[index] = (HTTPStatus.INTERNAL_SERVER_ERROR, {"error": repr(error)})
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _answer(response) -> tuple[int, dict]:
    body = (
        response.json() if response.content and response.get("Content-Type", "").startswith("application/json") else {}
    )
    return response.status_code, body


def patch(agreement_pk: int, version: int, notes: str) -> Call:
    return lambda client: _answer(
        client.patch(f"/api/agreements/{agreement_pk}/", {"public_notes": notes}, HTTP_IF_MATCH=f'"{version}"')
    )


def delete(agreement_pk: int, version: int) -> Call:
    return lambda client: _answer(client.delete(f"/api/agreements/{agreement_pk}/", HTTP_IF_MATCH=f'"{version}"'))


def suspend(agreement_pk: int, version: int) -> Call:
    return lambda client: _answer(
        client.post(
            f"/api/agreements/{agreement_pk}/change-status/",
            {"status": "suspended", "on": "2020-04-01", "reason": "Paused by both councils."},
            HTTP_IF_MATCH=f'"{version}"',
        )
    )


def log(agreement_pk: int, title: str, occurred_on: str = "2024-05-01") -> Call:
    return lambda client: _answer(
        client.post(
            "/api/activities/",
            {"agreement": agreement_pk, "occurred_on": occurred_on, "category": "culture", "title": title},
        )
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_reversed_pairs_end_with_one_agreement_and_one_refusal(nagasaki, saint_paul, coordinator):
    def post(a, b) -> Call:
        return lambda client: _answer(
            client.post("/api/agreements/", {"municipality_a": a.pk, "municipality_b": b.pk, "signed_on": "1955-12"})
        )

    answers = race(coordinator, post(nagasaki, saint_paul), post(saint_paul, nagasaki))

    assert sorted(status for status, _ in answers) == [HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST], answers
    [agreement] = TwinningAgreement.objects.all()
    [refusal] = [body for status, body in answers if status == HTTPStatus.BAD_REQUEST]
    assert f"#{agreement.pk}" in refusal["municipality_b"][0]


@pytest.mark.django_db(transaction=True)
def test_two_patches_with_the_same_if_match_one_wins_the_other_is_412(coordinator):
    agreement = AgreementFactory(signed_on="1990")

    for round_ in range(ROUNDS):
        version = TwinningAgreement.objects.get(pk=agreement.pk).version
        answers = race(
            coordinator,
            patch(agreement.pk, version, f"first {round_}"),
            patch(agreement.pk, version, f"second {round_}"),
        )

        assert sorted(status for status, _ in answers) == [HTTPStatus.OK, HTTPStatus.PRECONDITION_FAILED], answers
        [winner] = [body for status, body in answers if status == HTTPStatus.OK]
        assert TwinningAgreement.objects.get(pk=agreement.pk).public_notes == winner["public_notes"]
    assert TwinningAgreement.objects.get(pk=agreement.pk).version == 1 + ROUNDS


@pytest.mark.django_db(transaction=True)
def test_parallel_activity_logging_all_succeed_and_last_activity_is_the_latest(coordinator):
    agreement = AgreementFactory(signed_on="1990")
    days = [f"2024-05-{day:02d}" for day in range(1, 9)]

    answers = race(coordinator, *(log(agreement.pk, f"Exchange {day}", day) for day in days))

    assert [status for status, _ in answers] == [HTTPStatus.CREATED] * len(days), answers
    assert ActivityLog.objects.filter(agreement=agreement).count() == len(days)
    assert TwinningAgreement.objects.get(pk=agreement.pk).last_activity_on.isoformat() == max(days)


WRITES_AGAINST_DELETE = {
    # write: (the write, the answers it may get when the delete wins)
    "patch": (lambda pk: patch(pk, 1, "edited meanwhile"), {HTTPStatus.NOT_FOUND, HTTPStatus.PRECONDITION_FAILED}),
    "change-status": (lambda pk: suspend(pk, 1), {HTTPStatus.NOT_FOUND, HTTPStatus.PRECONDITION_FAILED}),
    # Deleted before the request was read, the agreement is an unknown id of the body: 400 naming it.
    "log-activity": (lambda pk: log(pk, "Concert"), {HTTPStatus.NOT_FOUND, HTTPStatus.BAD_REQUEST}),
}


@pytest.mark.parametrize("write", list(WRITES_AGAINST_DELETE))
@pytest.mark.django_db(transaction=True)
def test_writes_racing_a_delete_answer_404_or_412_never_500(coordinator, write):
    make_write, when_deleted_first = WRITES_AGAINST_DELETE[write]
    succeeded = {HTTPStatus.OK, HTTPStatus.CREATED}
    for _round in range(ROUNDS):
        agreement = AgreementFactory(signed_on="1990")

        (write_status, write_body), (delete_status, delete_body) = race(
            coordinator, make_write(agreement.pk), delete(agreement.pk, 1)
        )

        assert write_status in succeeded | when_deleted_first, (write_status, write_body)
        assert delete_status in {HTTPStatus.NO_CONTENT, HTTPStatus.PRECONDITION_FAILED}, (delete_status, delete_body)
        if write_status == HTTPStatus.BAD_REQUEST:
            assert write_body["agreement"], write_body
        elif write_status not in succeeded:
            assert write_body["detail"], write_body
        # The versioned writes (PATCH, change-status) bump the version: a delete with the old one is stale.
        deleted = delete_status == HTTPStatus.NO_CONTENT
        assert TwinningAgreement.objects.filter(pk=agreement.pk).exists() is not deleted
