"""Who may change whom in the back office (issue 10, holes 2 and 3), through the real admin views.

Staff manage customers; managers manage staff and customers; superusers everyone. Nobody changes
their own number, role or state. The number is the WhatsApp identity, so moving it is taking over
the person's assistant.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import User
from accounts.permissions import person_change_allowed
from accounts.selectors import sender_match

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:accounts_user_changelist")
ADD_URL = reverse("admin:accounts_user_add")


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def someone(username: str, role: str, phone: str, **fields) -> User:
    return User.objects.create_user(username=username, first_name=username.title(), role=role, phone_number=phone,
                                    **fields)


@pytest.fixture
def people(db):
    return {
        "ann": someone("ann", User.Role.STAFF, "+16505550100", password="pw-ann-long-enough"),
        "bo": someone("bo", User.Role.STAFF, "+16505550101"),
        "maya": someone("maya", User.Role.MANAGER, "+16505550102"),
        "mo": someone("mo", User.Role.MANAGER, "+16505550103"),
        "priya": someone("priya", User.Role.CUSTOMER, "+16505550104"),
        "root": User.objects.create_superuser(username="root", first_name="Root", password="pw-root-long-enough",
                                              phone_number="+16505550105"),
    }


def as_user(client, user: User):
    client.force_login(user)
    return client


def form(user: User, **changes) -> dict:
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": "",
            "phone_number": user.phone_number or "", "role": user.role}
    if user.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def deactivate(client, *users: User):
    return client.post(LIST_URL, {"action": "deactivate", "_selected_action": [u.pk for u in users]})


def notes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def active(user: User) -> bool:
    user.refresh_from_db()
    return user.is_active


# --- hole 2: the bulk "deactivate" decides per person ------------------------------------------
def test_hole2_staff_bulk_deactivate_leaves_a_manager_and_a_superuser_active_and_says_so(client, people):
    response = deactivate(as_user(client, people["ann"]), people["maya"], people["root"], people["priya"])
    assert response.status_code == 302
    assert active(people["maya"]) and active(people["root"])
    assert not active(people["priya"])  # the customer, whom staff manage, is deactivated
    said = " ".join(notes(response))
    assert "1 person(s) deactivated: Priya." in said
    assert "Maya (only a superuser changes a manager)" in said
    assert "Root (only a superuser changes a superuser)" in said


def test_staff_cannot_deactivate_a_colleague_or_themselves(client, people):
    response = deactivate(as_user(client, people["ann"]), people["bo"], people["ann"])
    assert active(people["bo"]) and active(people["ann"])
    said = " ".join(notes(response))
    assert "Bo (staff manage customers only)" in said
    assert "Ann (nobody deactivates themselves)" in said
    assert "deactivated:" not in said


def test_managers_deactivate_staff_and_customers_but_not_another_manager(client, people):
    response = deactivate(as_user(client, people["maya"]), people["bo"], people["priya"], people["mo"])
    assert not active(people["bo"]) and not active(people["priya"])
    assert active(people["mo"])
    assert "Mo (only a superuser changes a manager)" in " ".join(notes(response))


def test_superusers_deactivate_managers(client, people):
    deactivate(as_user(client, people["root"]), people["maya"], people["bo"])
    assert not active(people["maya"]) and not active(people["bo"])


# --- hole 3: the number is the WhatsApp identity -------------------------------------------------
def test_hole3_staff_cannot_move_a_colleagues_phone_number(client, people):
    second_sim = "+16505550999"
    response = as_user(client, people["ann"]).post(change_url(people["bo"]), form(people["bo"], phone_number=second_sim))
    assert response.status_code == 403
    people["bo"].refresh_from_db()
    assert people["bo"].phone_number == "+16505550101"
    # A message from the second SIM is not Bo's: it comes from someone who is not on the allow-list.
    assert sender_match(phone=second_sim, bsuid="").first() is None
    assert sender_match(phone="+16505550101", bsuid="").first() == people["bo"]


def test_hole3_staff_cannot_give_a_colleagues_whatsapp_identity_to_another_bsuid(client, people):
    """The business-scoped user id is a WhatsApp identity too: a username-only sender must not become Bo."""
    response = as_user(client, people["ann"]).post(change_url(people["bo"]),
                                                   form(people["bo"], bsuid="US.13491208655302741918"))
    assert response.status_code == 403
    people["bo"].refresh_from_db()
    assert people["bo"].bsuid is None


def test_managers_may_set_a_staff_members_bsuid(client, people):
    as_user(client, people["maya"]).post(change_url(people["bo"]), form(people["bo"], bsuid="US.13491208655302741918"))
    people["bo"].refresh_from_db()
    assert people["bo"].bsuid == "US.13491208655302741918"


def test_staff_cannot_change_a_managers_number(client, people):
    as_user(client, people["ann"]).post(change_url(people["maya"]), form(people["maya"], phone_number="+16505550999"))
    people["maya"].refresh_from_db()
    assert people["maya"].phone_number == "+16505550102"


def test_staff_cannot_change_their_own_number_role_or_state_but_may_fix_their_name(client, people):
    ann = people["ann"]
    response = as_user(client, ann).post(change_url(ann), form(ann, first_name="Annie", phone_number="+16505550999",
                                                                   role="manager", is_active=None))
    assert response.status_code == 302
    ann.refresh_from_db()
    assert (ann.first_name, ann.phone_number, ann.role, ann.is_active) == ("Annie", "+16505550100", "staff", True)


def test_a_colleagues_page_is_read_only_for_staff_with_no_buttons_they_cannot_use(client, people):
    html = as_user(client, people["ann"]).get(change_url(people["bo"])).content.decode()
    assert 'name="phone_number"' not in html and 'name="role"' not in html and 'name="is_active"' not in html
    assert 'name="_save"' not in html
    assert "password/" not in html  # no "Reset password" button
    assert "/delete/" not in html


def test_staff_change_a_customers_number_and_may_deactivate_them_from_the_form(client, people):
    priya = people["priya"]
    html = as_user(client, people["ann"]).get(change_url(priya)).content.decode()
    assert 'name="phone_number"' in html and 'name="is_active"' in html
    assert "password/" not in html  # only a superuser sets someone else's password
    response = client.post(change_url(priya), form(priya, phone_number="+1 650 555 0188", is_active=None))
    assert response.status_code == 302
    priya.refresh_from_db()
    assert (priya.phone_number, priya.is_active) == ("+16505550188", False)


def test_managers_change_a_staff_members_number_and_role(client, people):
    bo = people["bo"]
    response = as_user(client, people["maya"]).post(change_url(bo), form(bo, phone_number="+16505550177",
                                                                            role="customer"))
    assert response.status_code == 302
    bo.refresh_from_db()
    assert (bo.phone_number, bo.role) == ("+16505550177", "customer")


def test_only_a_superuser_makes_a_manager(client, people):
    bo = people["bo"]
    response = as_user(client, people["maya"]).post(change_url(bo), form(bo, role="manager"))
    assert response.status_code == 200  # the form refuses the choice
    bo.refresh_from_db()
    assert bo.role == "staff"
    response = as_user(client, people["root"]).post(change_url(bo), form(
        bo, role="manager", date_joined_0=f"{bo.date_joined:%Y-%m-%d}", date_joined_1=f"{bo.date_joined:%H:%M:%S}"))
    assert response.status_code == 302
    bo.refresh_from_db()
    assert bo.role == "manager"


def test_managers_cannot_change_another_managers_number(client, people):
    response = as_user(client, people["maya"]).post(change_url(people["mo"]), form(people["mo"],
                                                                                   phone_number="+16505550999"))
    assert response.status_code == 403
    people["mo"].refresh_from_db()
    assert people["mo"].phone_number == "+16505550103"


# --- adding people -------------------------------------------------------------------------------
def add_form(role: str, phone: str) -> dict:
    return {"username": "", "phone_number": phone, "first_name": "New", "last_name": "Person", "role": role,
            "password1": "", "password2": ""}


def test_staff_add_customers_only(client, people):
    as_user(client, people["ann"])
    html = client.get(ADD_URL).content.decode()
    assert '<option value="customer"' in html and '<option value="staff"' not in html
    assert 'name="password1"' not in html  # customers never log in to the admin
    response = client.post(ADD_URL, add_form("staff", "+16505550160"))
    assert response.status_code == 200
    assert not User.objects.filter(phone_number="+16505550160").exists()
    response = client.post(ADD_URL, add_form("customer", "+16505550161"))
    assert response.status_code == 302
    added = User.objects.get(phone_number="+16505550161")
    assert (added.role, added.username, added.has_usable_password()) == ("customer", "+16505550161", False)


def test_managers_add_staff_but_not_managers(client, people):
    as_user(client, people["maya"])
    assert client.post(ADD_URL, add_form("manager", "+16505550162")).status_code == 200
    assert not User.objects.filter(phone_number="+16505550162").exists()
    assert client.post(ADD_URL, add_form("staff", "+16505550163")).status_code == 302
    assert User.objects.get(phone_number="+16505550163").role == "staff"


# --- the rule itself, as the README's table says it ----------------------------------------------
MAY = {
    # (who, whom): may change the number, role and state
    ("staff", "customer"): True, ("staff", "staff"): False, ("staff", "manager"): False,
    ("staff", "superuser"): False,
    ("manager", "customer"): True, ("manager", "staff"): True, ("manager", "manager"): False,
    ("manager", "superuser"): False,
    ("superuser", "customer"): True, ("superuser", "staff"): True, ("superuser", "manager"): True,
    ("superuser", "superuser"): True,
}


def _of_kind(kind: str, name: str) -> User:
    if kind == "superuser":
        return User.objects.create_superuser(username=name, password="x-long-enough-1")
    return User.objects.create_user(username=name, role=kind)


@pytest.mark.parametrize("who, whom", sorted(MAY))
def test_the_who_may_change_whom_table(db, who, whom):
    by, target = _of_kind(who, "by"), _of_kind(whom, "target")
    for field in ("phone_number", "role", "is_active", "username"):
        assert person_change_allowed(by=by, target=target, field=field) is MAY[(who, whom)], field
    for field in ("is_superuser", "groups", "user_permissions"):
        assert person_change_allowed(by=by, target=target, field=field) is (who == "superuser"), field


@pytest.mark.parametrize("who", ["staff", "manager", "superuser"])
def test_everybody_edits_their_own_name_but_nobody_deactivates_themselves(db, who):
    me = _of_kind(who, "me")
    assert person_change_allowed(by=me, target=me, field="first_name")
    assert person_change_allowed(by=me, target=me, field="password")
    assert not person_change_allowed(by=me, target=me, field="is_active")
    assert person_change_allowed(by=me, target=me, field="phone_number") is (who == "superuser")
