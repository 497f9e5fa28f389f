"""Staff manage the allow-list, but cannot hand themselves (or anyone) more power."""

import pytest

from accounts.models import User
from tests.agent import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    ann = User.objects.create_user(username="ann", first_name="Ann", role=User.Role.STAFF,
                                   phone_number="+16505550100", password="pw-123-long-enough")
    client.force_login(ann)
    client.user = ann
    return client


def _form(user: User, **changes) -> dict:
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": "", "phone_number": user.phone_number or "", "role": user.role,
            "is_active": "on"}
    data.update(changes)
    return data


def test_staff_cannot_make_themselves_superuser(staff_client):
    me = staff_client.user
    staff_client.post(f"/admin/accounts/user/{me.pk}/change/", _form(me, is_superuser="on", is_staff="on"))
    me.refresh_from_db()
    assert me.is_superuser is False


def test_staff_cannot_make_someone_a_manager(staff_client):
    other = factories.person(role=User.Role.CUSTOMER, first_name="Bo", phone="+16505550101")
    response = staff_client.post(f"/admin/accounts/user/{other.pk}/change/", _form(other, role="manager"))
    other.refresh_from_db()
    assert other.role == User.Role.CUSTOMER
    assert response.status_code == 200  # the form shows the refused choice


def test_staff_cannot_set_another_persons_password(staff_client):
    other = factories.person(first_name="Bo", phone="+16505550101")
    response = staff_client.post(f"/admin/accounts/user/{other.pk}/password/",
                                 {"password1": "N3w-secret-pass!", "password2": "N3w-secret-pass!",
                                  "usable_password": "true"})
    assert response.status_code == 403
    other.refresh_from_db()
    assert not other.check_password("N3w-secret-pass!")


def test_staff_cannot_change_a_manager(staff_client):
    boss = factories.person(role=User.Role.MANAGER, first_name="Maya", phone="+16505550102")
    staff_client.post(f"/admin/accounts/user/{boss.pk}/change/", _form(boss, first_name="Hacked"))
    boss.refresh_from_db()
    assert boss.first_name == "Maya"


def test_staff_still_manage_customers_numbers_and_names(staff_client):
    other = factories.person(role=User.Role.CUSTOMER, first_name="Bo", phone="+16505550101")
    response = staff_client.post(f"/admin/accounts/user/{other.pk}/change/",
                                 _form(other, phone_number="+1 (650) 555-0199", first_name="Bob"))
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.phone_number, other.first_name, other.role) == ("+16505550199", "Bob", "customer")


def test_a_persons_page_hides_their_expenses_from_other_staff(staff_client):
    other = factories.person(first_name="Bo", phone="+16505550101")
    factories.expense(by=other, gross="11.90", net="10.00", category="fuel")
    html = staff_client.get(f"/admin/accounts/user/{other.pk}/change/").content.decode()
    assert "11.90" not in html
