"""Review of issue 10, hole 6 (four eyes): one manager alone must not both put an expense in and approve it.
Through the real admin, a signed webhook and the real API."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from agent.models import Expense
from tests.agent.conftest import message_body

SECOND_SIM = "16505550177"


@pytest.fixture
def managers(db):
    maya = User.objects.create_user(username="maya", first_name="Maya", role=User.Role.MANAGER,
                                    phone_number="+16505550102")
    User.objects.create_user(username="mo", first_name="Mo", role=User.Role.MANAGER, phone_number="+16505550103")
    return maya


def test_a_manager_cannot_approve_what_she_sent_as_a_staff_member_she_made_with_her_second_sim(
        client, managers, deliver, settings):
    """Only a superuser makes a manager, because a manager "could otherwise make a second manager with a
    second SIM and approve their own expenses through it" (README). The same would work with a second
    staff member, since managers add staff: Maya adds "Sam" with her second SIM and sends an expense
    from it as Sam. The admin records who set Sam's number, and four eyes counts the expenses of a
    person whose number the reviewer set as the reviewer's own: Mo, the other manager, reviews it."""
    settings.WHATSAPP_REPLY_HANDLER = "agent.runner.reply"  # commands work without the model
    client.force_login(managers)
    added = client.post(reverse("admin:accounts_user_add"), {
        "username": "", "phone_number": f"+{SECOND_SIM}", "first_name": "Sam", "last_name": "Puppet",
        "role": "staff", "password1": "", "password2": ""})
    assert added.status_code == 302
    deliver(message_body(text="/expense 4999 equipment", sender=SECOND_SIM))
    expense = Expense.objects.get()
    assert expense.submitted_by.first_name == "Sam"
    api = APIClient()
    api.force_authenticate(managers)
    assert api.post(f"/api/expenses/{expense.pk}/approve/").status_code == 403
    assert Expense.objects.get(pk=expense.pk).status == Expense.Status.PENDING
    mo = User.objects.get(username="mo")
    api.force_authenticate(mo)
    assert api.post(f"/api/expenses/{expense.pk}/approve/").status_code == 200
    assert Expense.objects.get(pk=expense.pk).reviewed_by == mo


def test_moving_a_colleagues_number_to_her_second_sim_counts_the_same(client, managers, deliver, settings):
    settings.WHATSAPP_REPLY_HANDLER = "agent.runner.reply"
    sam = User.objects.create_user(username="sam", first_name="Sam", role=User.Role.STAFF, phone_number="+16505550111")
    client.force_login(managers)
    changed = client.post(reverse("admin:accounts_user_change", args=[sam.pk]), {
        "username": "sam", "first_name": "Sam", "last_name": "", "email": "", "phone_number": f"+{SECOND_SIM}",
        "role": "staff", "is_active": "on"})
    assert changed.status_code == 302
    sam.refresh_from_db()
    assert (sam.phone_number, sam.identity_set_by) == (f"+{SECOND_SIM}", managers)
    deliver(message_body(text="/expense 4999 equipment", sender=SECOND_SIM))
    api = APIClient()
    api.force_authenticate(managers)
    response = api.post(f"/api/expenses/{Expense.objects.get().pk}/approve/")
    assert response.status_code == 403
    assert "whose WhatsApp number you set" in response.json()["detail"]


def test_the_only_manager_reviews_the_expenses_of_staff_she_added_and_the_record_says_so(client, db, deliver,
                                                                                       settings):
    settings.WHATSAPP_REPLY_HANDLER = "agent.runner.reply"
    maya = User.objects.create_user(username="maya", first_name="Maya", role=User.Role.MANAGER,
                                    phone_number="+16505550102")
    client.force_login(maya)
    client.post(reverse("admin:accounts_user_add"), {
        "username": "", "phone_number": f"+{SECOND_SIM}", "first_name": "Sam", "last_name": "",
        "role": "staff", "password1": "", "password2": ""})
    deliver(message_body(text="/expense 12 fuel", sender=SECOND_SIM))
    api = APIClient()
    api.force_authenticate(maya)
    assert api.post(f"/api/expenses/{Expense.objects.get().pk}/approve/").status_code == 200
    assert Expense.objects.get().self_reviewed


def test_add_member_records_that_nobody_of_the_team_set_the_number(managers):
    sam = User.objects.create_user(username="sam", role=User.Role.STAFF, phone_number="+16505550111",
                                   identity_set_by=managers)
    call_command("add_member", f"+{SECOND_SIM}", "--bsuid", "US.13491208655302741918", stdout=StringIO())
    assert User.objects.get(phone_number=f"+{SECOND_SIM}").identity_set_by is None
    call_command("add_member", "+16505550111", "--bsuid", "US.20571846293015728364", stdout=StringIO())
    sam.refresh_from_db()
    assert (sam.bsuid, sam.identity_set_by) == ("US.20571846293015728364", None)
