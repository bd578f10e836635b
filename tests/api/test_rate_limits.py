"""Rate limits: who counts as one client, signed-in clients, the docs apart, answers in the client's language.

The rates are class attributes read when DRF loads (settings REGISTRY_*_RATE); tests lower them with
monkeypatch. The counts live in the cache, cleared around every test (tests/api/conftest.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from api.throttling import DocsRateThrottle
from registry.security import client_ip

OK, TOO_MANY = HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_one_proxy(settings):
    """As REGISTRY_BEHIND_PROXY=1 sets it: trust the last X-Forwarded-For entry (what the proxy saw)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def test_made_up_x_forwarded_for_does_not_escape_the_anonymous_limit(api, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    client = api(None)

    codes = [client.get("/api/networks/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(1, 151)]

    assert codes[:3] == [OK] * 3
    assert set(codes[3:]) == {TOO_MANY}


def test_behind_a_proxy_the_address_it_saw_counts_and_what_the_client_wrote_does_not(
    api, monkeypatch, behind_one_proxy
):
    monkeypatch.setattr(AnonRateThrottle, "rate", "2/minute", raising=False)
    client = api(None)

    # One client behind the proxy (198.51.100.7), making up a different first entry each time.
    spoofed = [
        client.get("/api/networks/", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7").status_code for n in range(4)
    ]
    # Another client behind the same proxy has an allowance of its own.
    other = client.get("/api/networks/", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code

    assert spoofed == [OK, OK, TOO_MANY, TOO_MANY]
    assert other == OK


@pytest.mark.parametrize(
    ("environment", "trusted_entries"),
    [
        ({}, 0),
        ({"REGISTRY_PROXY_COUNT": "2"}, 0),  # a count without a proxy trusts nothing
        ({"REGISTRY_BEHIND_PROXY": "1"}, 1),
        ({"REGISTRY_BEHIND_PROXY": "1", "REGISTRY_PROXY_COUNT": "2"}, 2),
    ],
)
def test_x_forwarded_for_is_trusted_only_behind_a_configured_proxy(environment, trusted_entries):
    clean = {k: v for k, v in os.environ.items() if k not in {"REGISTRY_BEHIND_PROXY", "REGISTRY_PROXY_COUNT"}}
    printed = subprocess.run(
        [sys.executable, "-c", "from registry import settings; print(settings.REST_FRAMEWORK['NUM_PROXIES'])"],
        env={**clean, **environment},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert printed.strip() == str(trusted_entries)


def test_client_ip_ignores_x_forwarded_for_unless_behind_a_proxy(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.7")

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0  # REGISTRY_BEHIND_PROXY is not set in the tests
    assert client_ip(request) == "192.0.2.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client_ip(request) == "198.51.100.7"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 2}
    assert client_ip(request) == "203.0.113.5"


def test_signed_in_clients_are_rate_limited_per_account(api, monkeypatch, coordinator, staff_of_nagasaki):
    monkeypatch.setattr(UserRateThrottle, "rate", "3/minute", raising=False)
    client = api(coordinator)

    codes = [client.get("/api/networks/").status_code for _ in range(4)]

    assert codes == [OK, OK, OK, TOO_MANY]
    assert api(staff_of_nagasaki).get("/api/networks/").status_code == OK


def test_the_docs_and_schema_are_not_locked_out_by_the_data_limit(api, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "rate", "2/minute", raising=False)
    client = api(None)
    for _ in range(2):
        client.get("/api/networks/")
    assert client.get("/api/networks/").status_code == TOO_MANY

    assert client.get("/api/docs/").status_code == OK
    assert client.get("/api/schema/").status_code == OK


def test_the_docs_have_a_limit_of_their_own(api, monkeypatch):
    monkeypatch.setattr(DocsRateThrottle, "rate", "1/minute", raising=False)
    client = api(None)

    assert [client.get("/api/docs/").status_code for _ in range(2)] == [OK, TOO_MANY]
    assert client.get("/api/networks/").status_code == OK


@pytest.mark.parametrize(
    ("language", "pattern"),
    [
        ("ja", r"リクエストが多すぎます。(\d+) 秒後にもう一度お試しください。"),
        ("en", r"Too many requests\. Try again in (\d+) seconds\."),
    ],
)
def test_the_429_says_how_long_to_wait_in_the_clients_language(api, monkeypatch, language, pattern):
    monkeypatch.setattr(AnonRateThrottle, "rate", "1/minute", raising=False)
    client = api(None)
    client.get("/api/networks/")

    response = client.get("/api/networks/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == TOO_MANY
    body = response.json()
    assert body.keys() == {"detail"}
    match = re.fullmatch(pattern, body["detail"])
    assert match, body
    assert match.group(1) == response["Retry-After"]
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("ja", "ネットワークへの加盟を変更できるのはコーディネーターだけです。"),
        ("en", "Only coordinators may change network memberships."),
    ],
)
def test_a_403_answers_in_the_clients_language(api, staff_of_nagasaki, language, detail):
    response = api(staff_of_nagasaki).post("/api/memberships/", {}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": detail}


def test_staff_recording_for_another_municipality_is_told_why_in_japanese(api, staff_of_nagasaki, sasebo, saint_paul):
    response = api(staff_of_nagasaki).post(
        "/api/agreements/",
        {"municipality_a": sasebo.pk, "municipality_b": saint_paul.pk, "kind": "sister"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "提携協定を登録できるのは、担当している自治体の協定だけです。"}


@pytest.mark.parametrize(
    ("language", "start"),
    [("ja", "CSRF の検証に失敗しました（CSRF cookie not set.）。"), ("en", "CSRF check failed (CSRF cookie not set.)")],
)
def test_a_csrf_refusal_answers_in_the_clients_language(staff_of_nagasaki, own_agreement, language, start):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_of_nagasaki)

    response = client.patch(
        f"/api/agreements/{own_agreement.pk}/",
        {"public_notes": "no csrf"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["detail"].startswith(start)
