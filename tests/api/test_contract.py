"""The API's contract: schema, offline docs, token and session authentication, CSV, rate limits."""

from __future__ import annotations

import shutil
from http import HTTPStatus
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from registry.models import TwinningAgreement
from tests.factories import AgreementFactory

PASSWORD = "correct horse battery staple"  # tests/factories.UserFactory


# --- Schema --------------------------------------------------------------------------------------


def test_schema_validates_without_warnings_and_lists_every_endpoint(tmp_path: Path):
    target = tmp_path / "schema.yaml"

    # --fail-on-warn turns any warning (an unresolvable field, a duplicate enum name) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert {
        "/api/agreements/",
        "/api/agreements/{id}/",
        "/api/agreements/{id}/change-status/",
        "/api/activities/",
        "/api/activities/{id}/",
        "/api/municipalities/",
        "/api/networks/",
        "/api/memberships/",
        "/api/memberships/{id}/",
        "/api/history/",
        "/api/auth/token/",
    } <= set(schema["paths"])
    list_parameters = {parameter["name"] for parameter in schema["paths"]["/api/agreements/"]["get"]["parameters"]}
    assert {
        "country",
        "partner_country",
        "prefecture",
        "tier",
        "kind",
        "status",
        "signed_year_min",
        "signed_year_max",
        "clair_countable",
        "in_name_only",
        "vitality",
        "search",
        "ordering",
        "page",
        "page_size",
    } <= list_parameters
    change_status = schema["paths"]["/api/agreements/{id}/change-status/"]["post"]
    assert {"name": "If-Match", "in": "header", "required": True}.items() <= change_status["parameters"][0].items()


@pytest.mark.django_db
def test_schema_endpoint_answers_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["openapi"].startswith("3.")


# --- Token and session authentication ------------------------------------------------------------


@pytest.mark.django_db
def test_token_endpoint_gives_a_token_that_authenticates(staff_of_nagasaki, own_agreement):
    client = APIClient()

    response = client.post("/api/auth/token/", {"username": "staff_nagasaki", "password": PASSWORD}, format="json")

    assert response.status_code == HTTPStatus.OK
    token = response.json()["token"]
    assert response.json() == {"token": Token.objects.get(user=staff_of_nagasaki).key}
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    edit = client.patch(f"/api/agreements/{own_agreement.pk}/", {"public_notes": "via token"}, HTTP_IF_MATCH='"1"')
    assert edit.status_code == HTTPStatus.OK
    assert TwinningAgreement.objects.get().public_notes == "via token"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload", [{"username": "staff_nagasaki", "password": "wrong"}, {"username": "staff_nagasaki"}, {}]
)
def test_token_endpoint_refuses_bad_credentials(staff_of_nagasaki, payload):
    response = APIClient().post("/api/auth/token/", payload, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_bad_token_is_401(own_agreement):
    client = APIClient(HTTP_AUTHORIZATION="Token not-a-token")

    assert client.get("/api/agreements/").status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(staff_of_nagasaki, own_agreement):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="staff_nagasaki", password=PASSWORD)
    url = f"/api/agreements/{own_agreement.pk}/"

    without = client.patch(url, {"public_notes": "no csrf"}, format="json", HTTP_IF_MATCH='"1"')
    secret = "A" * 32
    client.cookies["csrftoken"] = secret
    with_token = client.patch(
        url, {"public_notes": "with csrf"}, format="json", HTTP_IF_MATCH='"1"', HTTP_X_CSRFTOKEN=secret
    )

    assert without.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in without.json()["detail"]
    assert with_token.status_code == HTTPStatus.OK
    assert TwinningAgreement.objects.get().public_notes == "with csrf"


# --- CSV -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "filename"),
    [
        ("/api/agreements/", "agreements"),
        ("/api/municipalities/", "municipalities"),
        ("/api/activities/", "activities"),
        ("/api/networks/", "networks"),
        ("/api/memberships/", "memberships"),
    ],
)
def test_every_list_exports_csv_with_bom_and_filename(api, own_agreement, url, filename):
    from tests.factories import ActivityFactory, MembershipFactory

    ActivityFactory(agreement=own_agreement)
    MembershipFactory(municipality=own_agreement.municipality_a)

    response = api(None).get(url, {"format": "csv"})

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="{filename}.csv"'
    body = response.getvalue()  # streamed: read once
    assert body.startswith(b"\xef\xbb\xbfid,")
    assert len(body.decode("utf-8-sig").splitlines()) >= 2


@pytest.mark.django_db
def test_csv_cells_cannot_run_as_formulas_and_hide_internal_fields(api, nagasaki, saint_paul, coordinator):
    AgreementFactory(
        municipality_a=nagasaki,
        municipality_b=saint_paul,
        public_notes='=HYPERLINK("http://evil.example","click")',
        internal_notes="secret",
    )

    text = api(None).get("/api/agreements/", {"format": "csv"}).getvalue().decode("utf-8-sig")

    header, row = text.splitlines()[:2]
    assert "municipality_a.name" in header.split(",")
    assert "'=HYPERLINK(" in row
    assert ',"=HYPERLINK' not in row and ",=HYPERLINK" not in row
    assert "internal_notes" not in header and "secret" not in text


@pytest.mark.django_db
def test_history_exports_csv_for_coordinators(api, coordinator, own_agreement):
    response = api(coordinator).get("/api/history/", {"format": "csv"})

    assert response["Content-Disposition"] == 'attachment; filename="history.csv"'
    assert "twinningagreement" in response.getvalue().decode("utf-8-sig")


# --- Rate limits ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_burst_is_throttled_with_429(api, monkeypatch, coordinator):
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    client = api(None)

    codes = [client.get("/api/networks/").status_code for _ in range(5)]

    assert codes == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS] * 2
    throttled = client.get("/api/networks/")
    assert int(throttled["Retry-After"]) > 0
    assert throttled.json()["detail"]  # "Request was throttled …" in the client's language
    # Signed-in users are not limited by the anonymous rate.
    assert api(coordinator).get("/api/networks/").status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_password_guessing_on_the_token_endpoint_is_throttled(monkeypatch, staff_of_nagasaki):
    monkeypatch.setattr(AnonRateThrottle, "rate", "2/minute", raising=False)
    client = APIClient()

    codes = [
        client.post("/api/auth/token/", {"username": "staff_nagasaki", "password": f"guess{i}"}).status_code
        for i in range(3)
    ]

    assert codes == [HTTPStatus.BAD_REQUEST, HTTPStatus.BAD_REQUEST, HTTPStatus.TOO_MANY_REQUESTS]


# --- Interactive docs, offline, in a real browser ------------------------------------------------

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (CI installs it)")
def test_docs_render_swagger_ui_offline(live_server, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    assert shutil.which(CHROMEDRIVER) or Path(CHROMEDRIVER).exists()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        # "Network off": every request that is not to the loopback test server goes to a dead proxy.
        "--proxy-server=http://127.0.0.1:9",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(f"{live_server.url}/api/docs/")
        WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
        operations = driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
        paths = {element.get_attribute("data-path") or element.text for element in operations}
        assert "/api/agreements/{id}/change-status/" in paths
        assert len(operations) >= 20
        sources = [
            element.get_attribute("src") or element.get_attribute("href")
            for element in driver.find_elements(By.CSS_SELECTOR, "script[src], link[href]")
        ]
        assert sources and all(source.startswith(live_server.url) for source in sources), sources
    finally:
        driver.quit()
