"""One structured log line per request, with its id; errors carry the id (registry.request_log)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from registry.request_log import JsonFormatter, RequestIdFilter
from tests.factories import UserFactory


def _lines(caplog) -> list[dict]:
    formatter, stamp = JsonFormatter(), RequestIdFilter()
    lines = []
    for record in caplog.records:
        stamp.filter(record)
        lines.append(json.loads(formatter.format(record)))
    return lines


@pytest.mark.django_db
def test_a_request_is_one_line_with_its_id_and_no_query_string(caplog):
    caplog.set_level(logging.INFO, logger="registry.requests")
    response = Client().get("/api/networks/?token=secret-value&page_size=5", HTTP_X_REQUEST_ID="proxy-id-1")
    (line,) = [line for line in _lines(caplog) if line["logger"] == "registry.requests"]
    assert line["request_id"] == response["X-Request-ID"] == "proxy-id-1"
    assert (line["method"], line["path"], line["status"], line["user"]) == ("GET", "/api/networks/", 200, "anonymous")
    assert isinstance(line["duration_ms"], float)
    assert "secret-value" not in json.dumps(line)


@pytest.mark.django_db
def test_an_implausible_request_id_is_replaced_and_the_user_is_named_by_id(caplog):
    caplog.set_level(logging.INFO, logger="registry.requests")
    user = UserFactory(username="clerk")
    client = Client()
    client.force_login(user)
    response = client.get("/api/networks/", HTTP_X_REQUEST_ID="<script>" * 20)
    (line,) = [line for line in _lines(caplog) if line["logger"] == "registry.requests"]
    assert line["request_id"] == response["X-Request-ID"] and len(line["request_id"]) == 32
    assert line["user"] == user.pk


def test_password_reset_links_are_masked():
    from registry.request_log import safe_path

    assert safe_path("/ja/accounts/reset/MQ/c0ffee-1234abcd/") == "/ja/accounts/reset/…/…/"
    assert safe_path("/en/municipalities/12/") == "/en/municipalities/12/"


@pytest.mark.django_db
def test_warnings_and_errors_carry_the_request_id(caplog, settings):
    caplog.set_level(logging.INFO)
    response = Client().get("/en/no-such-page/", HTTP_X_REQUEST_ID="trace-404")
    assert response.status_code == 404
    warning = [line for line in _lines(caplog) if line["logger"] == "django.request"]
    assert warning and warning[0]["request_id"] == "trace-404"
