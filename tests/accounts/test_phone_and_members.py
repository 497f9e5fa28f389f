"""Phone numbers in E.164, the allow-list's users, and the add_member command."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from accounts.models import User
from accounts.phone import InvalidPhoneNumber, e164_from_wa_id, normalize_phone

ROOT = Path(__file__).resolve().parents[2]


# --- normalize_phone ---------------------------------------------------------------------------------
def test_it_normalises_a_number_as_people_type_it():
    assert normalize_phone("+1 (650) 555-1234") == "+16505551234"


def test_it_normalises_meta_s_digits_without_a_plus():
    assert normalize_phone("16505551234") == "+16505551234"


def test_it_normalises_an_international_00_prefix():
    assert normalize_phone("0049 30 901820") == "+4930901820"


def test_it_normalises_a_national_number_given_a_region():
    assert normalize_phone("(202) 555-0123", default_region="US") == "+12025550123"


def test_it_trims_surrounding_whitespace():
    assert normalize_phone("  +44 20 7946 0958 ") == "+442079460958"


@pytest.mark.parametrize("raw", ["notanumber", "+1 650 555", "+49 1", "12", "+1 650 555 1234 5678"])
def test_it_refuses_what_is_not_a_valid_number(raw):
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone(raw)
    assert repr(raw) in caught.value.messages[0]


def test_it_refuses_an_empty_number():
    with pytest.raises(InvalidPhoneNumber, match="required"):
        normalize_phone("   ")


def test_a_wa_id_becomes_e164_without_validation():
    assert e164_from_wa_id("16505551234") == "+16505551234"
    assert e164_from_wa_id("") == ""


# --- add_member ----------------------------------------------------------------------------------------
def add_member(*args) -> str:
    out = StringIO()
    call_command("add_member", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_add_member_adds_a_person_to_the_allow_list():
    output = add_member("+1 (202) 555-0123", "--name", "Ann Lee", "--role", "staff")
    assert output.startswith("Added Ann Lee +12025550123 as staff")
    user = User.objects.get(phone_number="+12025550123")
    assert (user.first_name, user.last_name, user.role, user.is_active) == ("Ann", "Lee", "staff", True)


@pytest.mark.django_db
def test_a_person_added_by_add_member_has_no_usable_password():
    add_member("+12025550123", "--name", "Ann Lee")
    user = User.objects.get(phone_number="+12025550123")
    assert user.has_usable_password() is False
    assert user.check_password("") is False


@pytest.mark.django_db
def test_add_member_run_twice_changes_nothing_the_second_time():
    add_member("+12025550123", "--name", "Ann Lee", "--role", "staff")
    output = add_member("+1 202-555-0123", "--name", "Ann Lee", "--role", "staff")
    assert output.startswith("Unchanged: Ann Lee +12025550123 as staff")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_add_member_updates_the_role_of_someone_already_listed():
    add_member("+12025550123", "--name", "Ann Lee", "--role", "staff")
    output = add_member("+12025550123", "--role", "manager")
    assert output.startswith("Updated Ann Lee +12025550123 as manager (role changed)")
    user = User.objects.get()
    assert user.role == "manager"
    assert (user.first_name, user.last_name) == ("Ann", "Lee")  # no --name: the name stays


@pytest.mark.django_db
def test_add_member_can_take_someone_off_the_allow_list():
    add_member("+12025550123", "--name", "Ann Lee")
    output = add_member("+12025550123", "--inactive")
    assert "(inactive)" in output and "is_active changed" in output
    assert User.objects.get().is_active is False


@pytest.mark.django_db
def test_add_member_refuses_a_bad_number_with_a_clear_error():
    with pytest.raises(CommandError, match="'notanumber' is not a phone number"):
        add_member("notanumber")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_add_member_refuses_an_unknown_role():
    with pytest.raises(CommandError, match="invalid choice"):
        add_member("+12025550123", "--role", "owner")
    assert User.objects.count() == 0


def test_add_member_exits_with_status_1_on_a_bad_number(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = subprocess.run([sys.executable, "manage.py", "add_member", "notanumber"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "CommandError: 'notanumber' is not a phone number" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# --- the User model -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_two_users_cannot_share_a_phone_number():
    User.objects.create_user(username="ann", phone_number="+12025550123")
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="ann2", phone_number="+12025550123")


@pytest.mark.django_db
def test_many_users_may_have_no_phone_number():
    User.objects.create_user(username="admin1")
    User.objects.create_user(username="admin2")
    assert User.objects.filter(phone_number__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_phone_number_must_be_stored_in_e164_with_its_plus():
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="ann", phone_number="12025550123")
