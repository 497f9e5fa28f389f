"""Review of issue 10, hole 6 (four eyes): one manager alone must not both put an expense in and approve it.
Through the real admin, a signed webhook and the real API."""

import pytest
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


@pytest.mark.xfail(strict=True, reason="HOLE: a manager approves expenses she submitted as a staff member she "
                                       "made with her second SIM")
def test_a_manager_cannot_approve_what_she_sent_as_a_staff_member_she_made_with_her_second_sim(
        client, managers, deliver, settings):
    """HOLE: only a superuser makes a manager, because a manager "could otherwise make a second manager with
    a second SIM and approve their own expenses through it" (README). The same works with a second
    staff member: managers add staff. Maya adds "Sam" with her second SIM, sends an expense from it as
    Sam, and approves it herself while Mo, the other manager, never sees it. (Changing an existing
    staff member's number to her SIM works the same.) Fix: record who set a person's number or
    business-scoped id (e.g. `User.identity_set_by`, also from `add_member`), and let four eyes
    (services.expense_check_reviewable) treat the expenses of a person whose identity the reviewer set
    as the reviewer's own while another manager can review them; or have a second manager or a
    superuser confirm new staff numbers."""
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
