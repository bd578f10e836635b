"""Two clients racing to record A–B and B–A: exactly one agreement, one clear refusal (PostgreSQL)."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from django.db import connection
from rest_framework.test import APIClient

from registry.models import TwinningAgreement


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_reversed_pairs_end_with_one_agreement_and_one_refusal(nagasaki, saint_paul, coordinator):
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict]] = []

    def post(a, b) -> None:
        try:
            client = APIClient()
            client.force_authenticate(coordinator)
            barrier.wait(timeout=10)
            response = client.post(
                "/api/agreements/", {"municipality_a": a.pk, "municipality_b": b.pk, "signed_on": "1955-12"}
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(nagasaki, saint_paul)),
        threading.Thread(target=post, args=(saint_paul, nagasaki)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(status for status, _ in answers) == [HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST]
    [agreement] = TwinningAgreement.objects.all()
    [refusal] = [body for status, body in answers if status == HTTPStatus.BAD_REQUEST]
    assert f"#{agreement.pk}" in refusal["municipality_b"][0]
