"""Admin groups: "Staff" and "Managers" exist after migrate with fitting permissions, and a person's
role puts them in the right one."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
from tests.agent.factories import customer, expense, invoice
from whatsapp.models import Conversation

pytestmark = pytest.mark.django_db

MANAGER_ONLY = {"agent.change_expense", "agent.review_expense", "agent.view_dashboard", "agent.add_revenue",
                "agent.change_revenue"}


def perms_of(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_migration_creates_both_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Staff", "Managers"}


def test_staff_manage_numbers_read_transcripts_take_over_and_manage_invoices():
    assert perms_of("Staff") >= {
        "accounts.view_user", "accounts.add_user", "accounts.change_user",
        "whatsapp.view_conversation", "whatsapp.change_conversation", "whatsapp.view_message",
        "whatsapp.view_webhookevent", "whatsapp.view_statusupdate", "whatsapp.view_channelalert",
        "agent.view_invoice", "agent.add_invoice", "agent.change_invoice",
        "agent.view_customer", "agent.add_customer", "agent.change_customer",
        "agent.view_revenue", "agent.view_expense", "agent.add_expense",
    }


def test_the_staff_group_cannot_review_expenses_or_see_the_dashboard():
    assert not perms_of("Staff") & {"agent.change_expense", "agent.review_expense", "agent.view_dashboard"}


def test_managers_have_everything_staff_have_and_review_and_the_dashboard():
    assert perms_of("Managers") >= perms_of("Staff") | MANAGER_ONLY


def test_nobody_but_superusers_may_delete_records():
    assert not {p for p in perms_of("Managers") if ".delete_" in p}


@pytest.mark.parametrize("role, group, may_review", [("staff", "Staff", False), ("manager", "Managers", True)])
def test_a_role_puts_a_person_in_its_group_with_admin_access(role, group, may_review):
    user = User.objects.create_user(username="pat", password="pw-123-long", role=role)
    assert list(user.groups.values_list("name", flat=True)) == [group]
    assert user.is_staff
    user = User.objects.get(pk=user.pk)  # fresh permission cache
    assert user.has_perm("whatsapp.change_conversation")
    assert user.has_perm("agent.review_expense") is may_review
    assert user.has_perm("agent.view_dashboard") is may_review


def test_customers_get_no_group_and_no_admin_access():
    user = User.objects.create_user(username="carl", role=User.Role.CUSTOMER, is_staff=True)
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.exists()


def test_changing_the_role_moves_the_person_between_groups():
    user = User.objects.create_user(username="pat", role=User.Role.STAFF)
    user.role = User.Role.MANAGER
    user.save()
    assert list(user.groups.values_list("name", flat=True)) == ["Managers"]
    user.role = User.Role.CUSTOMER
    user.save()
    user.refresh_from_db()
    assert not user.groups.exists() and not user.is_staff


def test_other_groups_are_left_alone():
    auditors = Group.objects.create(name="Auditors")
    user = User.objects.create_user(username="pat", role=User.Role.STAFF)
    user.groups.add(auditors)
    user.role = User.Role.MANAGER
    user.save()
    assert set(user.groups.values_list("name", flat=True)) == {"Auditors", "Managers"}


def test_a_superuser_keeps_admin_access_whatever_their_role():
    user = User.objects.create_superuser(username="root", password="pw-123-long", role=User.Role.CUSTOMER)
    user.refresh_from_db()
    assert user.is_staff and user.is_superuser


def test_setting_the_role_in_the_admin_sets_the_group(admin_client):
    user = User.objects.create_user(username="pat", first_name="Pat", role=User.Role.STAFF)
    page = reverse("admin:accounts_user_change", args=[user.pk])
    form = admin_client.get(page).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(role="manager", groups=[g.pk for g in user.groups.all()], user_permissions=[],
                date_joined_0=user.date_joined.date().isoformat(), date_joined_1="00:00:00", is_active="on")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = admin_client.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.role == "manager"
    assert list(user.groups.values_list("name", flat=True)) == ["Managers"]


# --- a person's page and deactivation -----------------------------------------------------------
def test_a_persons_page_lists_their_conversations_expenses_and_invoices(admin_client, member):
    Conversation.objects.create(phone_number_id="1", contact_key="16505551234", wa_id="16505551234",
                                profile_name="Sheena on WhatsApp", user=member)
    expense(by=member, gross="23.80", net="20.00", description="Taxi")
    invoice(to=customer(company_name="Globex"), by=member)
    html = admin_client.get(reverse("admin:accounts_user_change", args=[member.pk])).content.decode()
    assert "Conversations (1)" in html and "Sheena on WhatsApp" in html
    assert "Expenses (1)" in html and "23.80" in html
    assert "Invoices (created by them) (1)" in html and "Globex" in html


def test_a_customers_page_lists_the_invoices_of_their_customer_records(admin_client):
    carl = User.objects.create_user(username="carl", first_name="Carl", role=User.Role.CUSTOMER)
    staff = User.objects.create_user(username="sam", role=User.Role.STAFF)
    invoice(to=customer(company_name="Carl's Bakery", user=carl), by=staff)
    invoice(to=customer(company_name="Someone Else"), by=staff)
    html = admin_client.get(reverse("admin:accounts_user_change", args=[carl.pk])).content.decode()
    assert "Invoices (to their customers) (1)" in html
    assert "Carl&#x27;s Bakery" in html and "Someone Else" not in html


def test_the_deactivate_action_takes_people_off_the_allow_list_but_not_oneself(admin_client, admin_user, member):
    response = admin_client.post(reverse("admin:accounts_user_changelist"),
                                 {"action": "deactivate", "_selected_action": [member.pk, admin_user.pk]})
    assert response.status_code == 302
    member.refresh_from_db()
    admin_user.refresh_from_db()
    assert not member.is_active
    assert admin_user.is_active
