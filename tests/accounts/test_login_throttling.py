"""Login throttling (issue 10, hole 8): after too many wrong passwords for one username from one address,
the admin login and the API's token endpoint refuse even the right one until the cool-off has passed.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.login_throttle import client_ip
from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "The-right-password-42"
LOGIN_URL = reverse("admin:login")
TOKEN_URL = reverse("api-token")
GUESSES = 30


@pytest.fixture
def ann(db):
    return User.objects.create_user(username="ann", password=PASSWORD, role=User.Role.STAFF)


def admin_login(client, password: str, **extra):
    return client.post(LOGIN_URL, {"username": "ann", "password": password, "next": "/admin/"}, **extra)


def token_request(client, password: str, **extra):
    return client.post(TOKEN_URL, {"username": "ann", "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def cool_off_passes():
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))


def test_hole8_thirty_wrong_admin_passwords_lock_the_right_one_out_until_the_cool_off_passes(client, ann):
    for _ in range(GUESSES):
        assert admin_login(client, "wrong-guess").status_code in (200, 429)
    response = admin_login(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert not signed_in(client)

    cool_off_passes()
    response = admin_login(client, PASSWORD)
    assert response.status_code == 302 and response.url == "/admin/"
    assert signed_in(client)


def test_hole8_thirty_wrong_passwords_lock_the_token_endpoint_until_the_cool_off_passes(client, ann):
    for _ in range(GUESSES):
        assert token_request(client, "wrong-guess").status_code in (400, 429)
    response = token_request(client, PASSWORD)
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many failed logins. Try again in 15 minutes."}
    assert not Token.objects.filter(user=ann).exists()

    cool_off_passes()
    response = token_request(client, PASSWORD)
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=ann).key


def test_guessed_passwords_are_not_stored(client, ann):
    admin_login(client, "Almost-the-right-password-42")
    token_request(client, "Almost-the-right-password-43")
    stored = " ".join(f"{a.get_data} {a.post_data}" for a in AccessAttempt.objects.all())
    assert AccessAttempt.objects.get().failures_since_start == 2
    assert "Almost-the-right" not in stored


def test_the_admin_and_the_token_endpoint_count_failures_together(client, ann):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token_request(client, "wrong-guess")
    assert admin_login(client, PASSWORD).status_code == 429


def test_the_lockout_starts_at_the_failure_limit(client, ann):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        admin_login(client, "wrong-guess")
    assert admin_login(client, PASSWORD).status_code == 302  # one guess short of the limit: still in


def test_the_lockout_is_per_username_and_address(client, ann):
    for _ in range(GUESSES):
        admin_login(client, "wrong-guess")
    assert admin_login(client, PASSWORD).status_code == 429
    # The same person from another address, e.g. the office while someone guesses from outside.
    assert admin_login(client, PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_a_token_lets_the_api_in(client, ann):
    token = token_request(client, PASSWORD).json()["token"]
    response = client.get("/api/expenses/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_the_token_endpoint_refuses_a_wrong_password_with_a_clear_answer(client, ann):
    response = token_request(client, "wrong-guess")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


# --- the client's address, directly and behind a proxy -------------------------------------------
def _request(**meta):
    return RequestFactory().post(LOGIN_URL, **meta)


def test_without_a_trusted_proxy_the_connection_address_counts_and_forwarded_headers_do_not(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="6.6.6.6")) == "203.0.113.9"


def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_wrote(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")) == "203.0.113.9"
    spoofed = _request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(spoofed) == "203.0.113.9"
    assert client_ip(_request(REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"  # did not come through the proxy
