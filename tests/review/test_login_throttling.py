"""Review of issue 10, hole 8: a username written another way is either another account (and never
logs in as this one) or counted as this one, on the admin login and the API's token endpoint."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "The-right-password-42"


@pytest.fixture
def ann(db):
    return User.objects.create_user(username="ann", password=PASSWORD, role=User.Role.STAFF)


def admin_login(client, username: str, password: str):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


def token_request(client, username: str, password: str):
    return client.post(reverse("api-token"), {"username": username, "password": password})


@pytest.mark.parametrize("variant", ["ANN", "Ann", "ann\u200b"])
def test_a_username_in_another_case_is_not_her_account_even_with_her_password(client, ann, variant):
    assert admin_login(client, variant, PASSWORD).status_code == 200  # the form again: not signed in
    assert "_auth_user_id" not in client.session
    assert token_request(client, variant, PASSWORD).status_code == 400


@pytest.mark.parametrize("variant", [" ann ", "ａｎｎ"])  # spaces, full-width letters: the admin reads "ann"
def test_guesses_under_a_username_the_admin_reads_as_hers_lock_her_out(client, ann, variant):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, variant, "wrong-guess")
    assert admin_login(client, "ann", PASSWORD).status_code == 429
    assert token_request(client, "ann", PASSWORD).status_code == 429


def test_guesses_at_the_token_endpoint_with_spaces_round_her_name_lock_her_out(client, ann):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token_request(client, " ann ", "wrong-guess")
    assert token_request(client, "ann", PASSWORD).status_code == 429
    assert admin_login(client, "ann", PASSWORD).status_code == 429


def test_the_sandbox_has_no_login_of_its_own_it_sends_people_to_the_throttled_one(client, sandbox_mode):
    response = client.get(reverse("sandbox"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
