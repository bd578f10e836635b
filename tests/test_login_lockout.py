"""Password guessing: django-axes locks an account, and a client address, after too many failures,
on the admin's sign-in and on POST /api/auth/token/ alike (registry.security, settings AXES_*).

The failure limit is lowered to 3 here; the anonymous rate limit is raised out of the way, so that
what answers 429 is the lockout.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.core.cache import cache
from django.db.models import F
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # tests/factories.UserFactory
LIMIT = 3
TOKEN_URL = "/api/auth/token/"
ADMIN_LOGIN = "/admin/login/?next=/admin/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_lockout_state(settings, monkeypatch):
    settings.AXES_FAILURE_LIMIT = LIMIT
    # Dozens of sign-ins: a fast hasher (the default's million rounds would take minutes here).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(AnonRateThrottle, "rate", "1000/minute", raising=False)
    reset()
    cache.clear()
    yield
    reset()
    cache.clear()


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def token_attempt(password: str, *, username: str = "clerk", address: str = "192.0.2.10", **extra):
    client = APIClient(REMOTE_ADDR=address, **extra)
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def admin_attempt(client, password: str, *, username: str = "root"):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password})


# --- the token endpoint ---------------------------------------------------------------------------


def test_token_guessing_locks_the_account_then_even_the_right_password_is_refused(clerk):
    codes = [token_attempt(f"guess{n}").status_code for n in range(LIMIT)]
    right = token_attempt(PASSWORD)

    assert codes == [HTTPStatus.BAD_REQUEST] * (LIMIT - 1) + [HTTPStatus.TOO_MANY_REQUESTS]
    assert right.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(right["Retry-After"]) == 30 * 60  # REGISTRY_LOGIN_COOLOFF_MINUTES' default
    assert not Token.objects.filter(user=clerk).exists()


def test_token_guessing_with_someone_elses_token_is_limited_all_the_same(clerk):
    intruder = UserFactory(username="intruder")
    token = Token.objects.create(user=intruder)

    codes = [token_attempt(f"guess{n}", HTTP_AUTHORIZATION=f"Token {token.key}").status_code for n in range(LIMIT + 2)]

    assert codes[: LIMIT - 1] == [HTTPStatus.BAD_REQUEST] * (LIMIT - 1)
    assert set(codes[LIMIT - 1 :]) == {HTTPStatus.TOO_MANY_REQUESTS}
    assert token_attempt(PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_locked_account_stays_locked_from_another_address(clerk):
    for n in range(LIMIT):
        token_attempt(f"guess{n}", address="192.0.2.10")

    assert token_attempt(PASSWORD, address="198.51.100.99").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_one_address_guessing_many_accounts_is_locked_out(clerk):
    others = [UserFactory(username=f"victim{n}") for n in range(LIMIT)]

    codes = [token_attempt("guess", username=user.username).status_code for user in others]

    assert codes[-1] == HTTPStatus.TOO_MANY_REQUESTS
    # The clerk's account was never guessed at, but this address is locked out ...
    assert token_attempt(PASSWORD, address="192.0.2.10").status_code == HTTPStatus.TOO_MANY_REQUESTS
    # ... and the clerk signs in from their own address.
    assert token_attempt(PASSWORD, address="192.0.2.200").status_code == HTTPStatus.OK


def test_a_made_up_x_forwarded_for_does_not_make_a_new_client(clerk):
    others = [UserFactory(username=f"victim{n}") for n in range(LIMIT)]
    for n, user in enumerate(others):
        token_attempt("guess", username=user.username, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = token_attempt("guess", username="someone-new", HTTP_X_FORWARDED_FOR="203.0.113.250")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_the_lockout_ends_after_the_cool_off(clerk, settings):
    for n in range(LIMIT):
        token_attempt(f"guess{n}")
    assert token_attempt(PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)

    assert token_attempt(PASSWORD).status_code == HTTPStatus.OK


def test_attempts_refused_during_a_lockout_write_nothing(clerk):
    for n in range(LIMIT):
        token_attempt(f"guess{n}")
    written = list(AccessAttempt.objects.values_list("failures_since_start", "post_data", "get_data"))

    codes = {token_attempt(f"more{n}").status_code for n in range(5)}

    assert codes == {HTTPStatus.TOO_MANY_REQUESTS}
    assert list(AccessAttempt.objects.values_list("failures_since_start", "post_data", "get_data")) == written
    assert sum(failures for failures, _post, _get in written) == LIMIT


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        (
            "ja",
            "このアカウント、またはこの接続元からのログインの失敗が多すぎます。30 分後にもう一度お試しください。",
        ),
        (
            "en",
            "Too many failed sign-ins for this account or from this address. Try again in 30 minutes.",
        ),
    ],
)
def test_the_lockout_answer_is_json_in_the_clients_language(clerk, language, detail):
    for n in range(LIMIT):
        token_attempt(f"guess{n}")

    response = token_attempt(PASSWORD, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json() == {"detail": detail}


# --- the admin's sign-in --------------------------------------------------------------------------


def test_admin_sign_in_guessing_locks_out_then_the_right_password_does_not_sign_in(client, superuser):
    codes = [admin_attempt(client, f"guess{n}").status_code for n in range(LIMIT)]
    right = admin_attempt(client, PASSWORD)

    assert codes == [HTTPStatus.OK] * (LIMIT - 1) + [HTTPStatus.TOO_MANY_REQUESTS]
    assert right.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(right["Retry-After"]) == 30 * 60
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == HTTPStatus.FOUND  # still sent to the sign-in page


def test_the_admin_lockout_page_in_japanese(client, superuser):
    for n in range(LIMIT):
        admin_attempt(client, f"guess{n}")

    page = client.post(ADMIN_LOGIN, {"username": "root", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="ja")

    assert page.status_code == HTTPStatus.TOO_MANY_REQUESTS
    text = page.content.decode()
    assert "このアカウント、またはこの接続元からのログインの失敗が多すぎます。30 分後にもう一度お試しください。" in text
    assert "管理者はこのロックを早めに解除できます。" in text


def test_admin_and_api_share_the_count_for_an_account(client, superuser):
    for n in range(LIMIT - 1):
        token_attempt(f"guess{n}", username="root")

    assert admin_attempt(client, "one more guess").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_an_honest_sign_in_still_works(client, superuser):
    response = admin_attempt(client, PASSWORD)

    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(superuser.pk)


def test_the_test_clients_login_still_works_without_a_request(client, clerk):
    # django-axes needs the request to count; authenticate() without one is left to ModelBackend.
    assert client.login(username="clerk", password=PASSWORD)
    assert not client.login(username="clerk", password="wrong")
