"""A person's business-scoped user id (BSUID): the format, one person per id, add_member and the admin."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError
from django.urls import reverse

from accounts.bsuid import InvalidBSUID, normalize_bsuid
from accounts.models import User
from tests.accounts.test_admin import ADD_URL, LIST_URL, add_form, found
from whatsapp.models import Conversation

BSUID = "US.13491208655302741918"
OTHER_BSUID = "US.20571846293015728364"


def add_member(*args) -> str:
    out = StringIO()
    call_command("add_member", *args, stdout=out)
    return out.getvalue()


# --- the format ------------------------------------------------------------------------------------------
def test_a_bsuid_is_kept_as_meta_writes_it():
    assert normalize_bsuid(" US.13491208655302741918 ") == BSUID
    assert normalize_bsuid("us.AbC123") == "US.AbC123"  # the country code in capitals, the rest as it is


@pytest.mark.parametrize("raw", ["13491208655302741918", "USA.1349", "US.", "US.1349-1208", "US." + "1" * 129])
def test_what_is_not_a_bsuid_is_refused_saying_what_one_looks_like(raw):
    with pytest.raises(InvalidBSUID, match="two letters, a period, then up to 128 letters and digits"):
        normalize_bsuid(raw)


def test_a_parent_bsuid_is_refused_asking_for_the_person_s_own():
    with pytest.raises(InvalidBSUID, match="is a parent business-scoped user id"):
        normalize_bsuid("US.ENT.11815799212886844830")


@pytest.mark.django_db
def test_two_people_can_never_share_a_bsuid():
    User.objects.create_user(username="ann", bsuid=BSUID)
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="bob", bsuid=BSUID)


@pytest.mark.django_db
def test_an_empty_bsuid_is_never_stored():
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="ann", bsuid="")


# --- add_member ----------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_add_member_sets_the_bsuid_beside_the_number():
    output = add_member("+1 650 555 1234", "--bsuid", BSUID, "--name", "Sheena Nelson")
    assert output.startswith(f"Added Sheena Nelson +16505551234 {BSUID} as staff")
    user = User.objects.get()
    assert (user.phone_number, user.bsuid) == ("+16505551234", BSUID)


@pytest.mark.django_db
def test_add_member_adds_someone_known_only_by_their_bsuid():
    add_member("--bsuid", BSUID, "--name", "Sheena Nelson", "--role", "customer")
    user = User.objects.get()
    assert (user.phone_number, user.bsuid, user.username, user.role) == (None, BSUID, BSUID, "customer")


@pytest.mark.django_db
def test_add_member_gives_the_bsuid_to_the_person_with_that_number():
    add_member("+16505551234", "--name", "Sheena Nelson")
    output = add_member("+16505551234", "--bsuid", BSUID)
    assert "bsuid changed" in output
    assert User.objects.get().bsuid == BSUID


@pytest.mark.django_db
def test_add_member_gives_a_number_to_the_person_with_that_bsuid():
    add_member("--bsuid", BSUID, "--name", "Sheena Nelson")
    add_member("+16505551234", "--bsuid", BSUID)
    assert User.objects.get().phone_number == "+16505551234"


@pytest.mark.django_db
def test_add_member_refuses_a_number_and_a_bsuid_of_two_different_people():
    add_member("+16505551234", "--name", "Sheena Nelson")
    add_member("--bsuid", BSUID, "--name", "Tom Becker")
    with pytest.raises(CommandError, match=f"\\+16505551234 belongs to Sheena Nelson and {BSUID} to Tom Becker"):
        add_member("+16505551234", "--bsuid", BSUID)


@pytest.mark.django_db
def test_add_member_refuses_a_bad_bsuid_with_a_clear_error():
    with pytest.raises(CommandError, match="is not a business-scoped user id"):
        add_member("+16505551234", "--bsuid", "13491208655302741918")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_add_member_needs_a_number_or_a_bsuid():
    with pytest.raises(CommandError, match="Give a phone number or a business-scoped user id"):
        add_member("--name", "Nobody")


@pytest.mark.django_db
def test_add_member_gives_a_bsuid_only_stranger_s_conversation_to_the_person():
    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key=BSUID, bsuid=BSUID)
    add_member("+16505551234", "--bsuid", BSUID, "--name", "Sheena Nelson")
    conversation.refresh_from_db()
    assert conversation.user == User.objects.get(bsuid=BSUID)


# --- the admin ---------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_list_shows_the_bsuid_beside_the_number(admin_client, member):
    User.objects.filter(pk=member.pk).update(bsuid=BSUID)
    html = admin_client.get(LIST_URL).content.decode()
    assert "+16505551234" in html and BSUID in html


@pytest.mark.django_db
@pytest.mark.parametrize("term", [BSUID, "US.1349120865", "13491208655302741918"])
def test_search_finds_a_person_by_their_bsuid(admin_client, member, term):
    User.objects.filter(pk=member.pk).update(bsuid=BSUID)
    User.objects.create_user(username="tom", phone_number="+12195550000", bsuid=OTHER_BSUID)
    assert found(admin_client, term) == [member.username]


@pytest.mark.django_db
def test_a_person_added_with_only_a_bsuid_gets_it_as_username(admin_client):
    response = admin_client.post(ADD_URL, add_form(bsuid=" us.13491208655302741918", first_name="Sheena"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(first_name="Sheena")
    assert (user.username, user.bsuid, user.phone_number) == (BSUID, BSUID, None)


@pytest.mark.django_db
def test_the_admin_refuses_a_malformed_bsuid(admin_client):
    response = admin_client.post(ADD_URL, add_form(phone_number="+16505551234", bsuid="not-an-id"))
    assert response.status_code == 200
    assert "is not a business-scoped user id" in response.content.decode()
    assert User.objects.count() == 1  # only the admin


@pytest.mark.django_db
def test_the_admin_refuses_a_bsuid_someone_else_has_with_a_clear_message(admin_client, member):
    User.objects.filter(pk=member.pk).update(bsuid=BSUID)
    response = admin_client.post(ADD_URL, add_form(phone_number="+12195550000", bsuid=BSUID))
    assert response.status_code == 200
    assert "Another person already has this business-scoped user id." in response.content.decode()
    assert User.objects.filter(bsuid=BSUID).count() == 1


@pytest.mark.django_db
def test_setting_a_bsuid_in_the_admin_gives_the_person_the_stranger_conversation_it_names(admin_client, member):
    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key=BSUID, bsuid=BSUID)
    url = reverse("admin:accounts_user_change", args=[member.pk])
    response = admin_client.post(url, {
        "username": member.username, "first_name": "Sheena", "last_name": "Nelson", "email": "",
        "phone_number": "+16505551234", "bsuid": BSUID, "role": "staff", "is_active": "on",
        "date_joined_0": "2026-01-05", "date_joined_1": "10:00:00",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.bsuid == BSUID
    conversation.refresh_from_db()
    assert conversation.user == member


@pytest.mark.django_db
def test_a_bsuid_only_sender_s_conversation_links_to_the_add_page_with_their_bsuid(admin_client):
    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key=BSUID, bsuid=BSUID,
                                               profile_name="Sheena Nelson")
    html = admin_client.get(reverse("admin:whatsapp_conversation_change", args=[conversation.pk])).content.decode()
    assert "username, no number" in html
    add_page = admin_client.get(ADD_URL, {"bsuid": BSUID, "first_name": "Sheena"}).content.decode()
    assert f'value="{BSUID}"' in add_page
