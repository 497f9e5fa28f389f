"""The allow-list in the admin: numbers stored as E.164, bad numbers refused, found however typed."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:accounts_user_add")
LIST_URL = reverse("admin:accounts_user_changelist")


def add_form(**fields) -> dict:
    data = {"username": "", "phone_number": "", "first_name": "", "last_name": "", "role": "staff",
            "password1": "", "password2": ""}
    data.update(fields)
    return data


def found(admin_client, term: str) -> list[str]:
    response = admin_client.get(LIST_URL, {"q": term})
    assert response.status_code == 200
    return [user.username for user in response.context["cl"].result_list]


def test_the_list_shows_name_number_role_and_state(admin_client, member):
    response = admin_client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sheena Nelson" in html
    assert '<td class="field-number">+1 650-555-1234</td>' in html  # in international format
    assert "Staff" in html


def test_the_list_filters_by_role(admin_client, member):
    User.objects.create_user(username="carl", phone_number="+16505550000", role=User.Role.CUSTOMER)
    response = admin_client.get(LIST_URL, {"role__exact": "customer"})
    assert [u.username for u in response.context["cl"].result_list] == ["carl"]


def test_a_person_added_with_a_typed_number_is_stored_in_e164(admin_client):
    response = admin_client.post(ADD_URL, add_form(phone_number="+1 (650) 555-1234", first_name="Sheena",
                                                   last_name="Nelson", role="customer"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(phone_number="+16505551234")
    assert (user.first_name, user.last_name, user.role) == ("Sheena", "Nelson", "customer")
    assert user.username == "+16505551234"  # no username given: the number is the username


def test_a_person_added_without_a_password_gets_an_unusable_one(admin_client):
    admin_client.post(ADD_URL, add_form(phone_number="+16505551234", usable_password="true"))
    user = User.objects.get(phone_number="+16505551234")
    assert not user.has_usable_password()


def test_a_staff_member_added_with_a_password_can_log_in(admin_client):
    response = admin_client.post(ADD_URL, add_form(username="ann", phone_number="+16505551234",
                                                   usable_password="true", password1="Plenty-Long-Secret-42",
                                                   password2="Plenty-Long-Secret-42"))
    assert response.status_code == 302
    assert User.objects.get(username="ann").check_password("Plenty-Long-Secret-42")


def test_an_invalid_number_is_refused_with_a_clear_message_and_nothing_is_created(admin_client):
    before = User.objects.count()
    response = admin_client.post(ADD_URL, add_form(phone_number="+1 555 12", first_name="Nobody"))
    assert response.status_code == 200
    assert "is not a valid phone number" in response.content.decode()
    assert "international form" in response.content.decode()
    assert User.objects.count() == before


def test_a_number_already_on_the_allow_list_is_refused(admin_client, member):
    response = admin_client.post(ADD_URL, add_form(phone_number="(+1) 650 555 1234"))
    assert response.status_code == 200
    assert "Phone number already exists" in response.content.decode()
    assert User.objects.filter(phone_number="+16505551234").count() == 1


def test_a_person_needs_a_username_or_a_number(admin_client):
    before = User.objects.count()
    response = admin_client.post(ADD_URL, add_form(first_name="Nobody"))
    assert response.status_code == 200
    assert "Give a username, a phone number or a business-scoped user id." in response.content.decode()
    assert User.objects.count() == before


def test_the_add_page_takes_a_number_from_the_link_of_an_unknown_sender(admin_client):
    response = admin_client.get(ADD_URL, {"phone_number": "+16505551234", "first_name": "Sheena"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="+16505551234"' in html
    assert 'value="Sheena"' in html


def test_editing_a_number_normalises_it(admin_client, member):
    url = reverse("admin:accounts_user_change", args=[member.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {
        "username": member.username, "first_name": "Sheena", "last_name": "Nelson", "email": "",
        "phone_number": "+44 20 7946 0958", "role": "manager", "is_active": "on",
        "date_joined_0": "2026-01-05", "date_joined_1": "10:00:00",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.phone_number, member.role) == ("+442079460958", "manager")


def test_editing_to_an_invalid_number_is_refused(admin_client, member):
    url = reverse("admin:accounts_user_change", args=[member.pk])
    response = admin_client.post(url, {
        "username": member.username, "phone_number": "not a number", "role": "staff", "is_active": "on",
        "date_joined_0": "2026-01-05", "date_joined_1": "10:00:00",
    })
    assert response.status_code == 200
    assert "is not a phone number" in response.content.decode()
    member.refresh_from_db()
    assert member.phone_number == "+16505551234"


def test_clearing_a_number_stores_null_so_many_people_can_have_none(admin_client, member):
    User.objects.create_user(username="nophone")
    url = reverse("admin:accounts_user_change", args=[member.pk])
    response = admin_client.post(url, {
        "username": member.username, "phone_number": "", "role": "staff", "is_active": "on",
        "date_joined_0": "2026-01-05", "date_joined_1": "10:00:00",
    })
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.phone_number is None


@pytest.mark.parametrize("term", ["+1 650", "1650555", "(650) 555-1234", "+16505551234", "Sheena", "sheena"])
def test_search_finds_a_person_by_number_however_typed_or_by_name(admin_client, member, term):
    User.objects.create_user(username="other", phone_number="+442079460958", first_name="Olga")
    assert found(admin_client, term) == ["sheena"]


def test_search_by_a_number_nobody_has_finds_nobody(admin_client, member):
    assert found(admin_client, "+1 212 555") == []


def test_a_persons_page_lists_only_the_records_the_apps_name(admin_client, member, settings):
    page = reverse("admin:accounts_user_change", args=[member.pk])
    assert "Conversations, expenses and invoices" in admin_client.get(page).content.decode()
    settings.ACCOUNTS_PERSON_SECTIONS = ["whatsapp.admin.people.person_sections"]
    html = admin_client.get(page).content.decode()
    assert "Conversations (0)" in html and "Expenses (" not in html
    settings.ACCOUNTS_PERSON_SECTIONS = []
    assert "Conversations, expenses and invoices" not in admin_client.get(page).content.decode()
