"""Review of issue 10 in the back office: every admin view, action and lookup checks the object it
touches (holes 2, 3, 4, 6 and the privacy rule), through the real admin views as the Staff and
Managers groups make people.
"""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from agent.models import Expense
from tests.agent import factories
from tests.fakes.graph import PHONE_NUMBER_ID
from whatsapp.models import Conversation, Message

pytestmark = pytest.mark.django_db

# What Maya, a manager, wrote to her own assistant: private to her, the managers and the superusers.
PRIVATE = "Invoice Acme 500 for the audit. Also remind me: my back surgery is on the 12th"


def someone(username: str, role: str, phone: str) -> User:
    """A person as the admin makes them: the role's group (Staff, Managers) comes with the role."""
    return User.objects.create_user(username=username, first_name=username.title(), role=role, phone_number=phone,
                                    password="a-long-password-1")


@pytest.fixture
def ann(db):
    return someone("ann", User.Role.STAFF, "+16505550100")


@pytest.fixture
def maya(db):
    return someone("maya", User.Role.MANAGER, "+16505550102")


@pytest.fixture
def mo(db):
    return someone("mo", User.Role.MANAGER, "+16505550103")


@pytest.fixture
def mayas_message(maya):
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550102",
                                               wa_id="16505550102", profile_name="Maya", user=maya)
    return Message.objects.create(conversation=conversation, direction="in", type="text", status="handled",
                                  timestamp=timezone.now(), text=PRIVATE, wamid="wamid.maya-private")


def signed_in(client, user):
    client.force_login(user)
    return client


# --- privacy: what a record links to must not show a team member's chat ---------------------------
def test_staff_opening_an_invoice_a_manager_made_on_whatsapp_do_not_read_her_message(client, ann, maya,
                                                                                    mayas_message):
    """HOLE: the invoice page showed the WhatsApp message it came from (its raw-id label is the
    message's text), so every staff member read what a manager wrote to her own assistant."""
    invoice = factories.invoice(to=factories.customer(), by=maya, source_message=mayas_message)
    page = signed_in(client, ann).get(reverse("admin:agent_invoice_change", args=[invoice.pk]))
    assert page.status_code == 200
    assert "back surgery" not in page.content.decode()


def test_staff_viewing_revenue_a_manager_recorded_on_whatsapp_do_not_read_her_message(client, ann, maya,
                                                                                      mayas_message):
    """HOLE: the revenue page (view-only for staff) showed the manager's message it came from."""
    revenue = factories.revenue(by=maya, source_message=mayas_message)
    page = signed_in(client, ann).get(reverse("admin:agent_revenue_change", args=[revenue.pk]))
    assert page.status_code == 200
    assert "back surgery" not in page.content.decode()


def test_staff_cannot_read_any_message_by_pointing_an_invoice_at_it(client, ann, maya, mayas_message):
    """HOLE: an invoice's "source message" is a raw id anyone who changes invoices may type: a form sent
    back with an error shows the text of whatever message that id names."""
    invoice = factories.invoice(to=factories.customer(), by=ann)
    data = {"customer": invoice.customer_id, "description": "Work", "net": "100.00", "tax_rate": "0.19",
            "gross": "119.00", "currency": "EUR", "issued_on": "not a date", "due_on": str(invoice.due_on),
            "status": "sent", "created_by": ann.pk, "source_message": mayas_message.pk}
    page = signed_in(client, ann).post(reverse("admin:agent_invoice_change", args=[invoice.pk]), data)
    assert page.status_code == 200  # the form again, with its error
    assert "back surgery" not in page.content.decode()


def test_the_message_autocomplete_finds_no_message_of_a_managers_chat_for_staff(client, ann, mayas_message):
    response = signed_in(client, ann).get(reverse("admin:autocomplete"), {
        "app_label": "agent", "model_name": "invoice", "field_name": "source_message", "term": "surgery"})
    assert response.status_code == 200
    assert json.loads(response.content)["results"] == []


def test_the_raw_id_lookup_lists_no_message_of_a_managers_chat_for_staff(client, ann, mayas_message):
    page = signed_in(client, ann).get(reverse("admin:whatsapp_message_changelist"),
                                      {"_to_field": "id", "_popup": "1"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == []


def test_the_history_of_a_managers_conversation_is_not_found_for_staff(client, ann, mayas_message):
    url = reverse("admin:whatsapp_conversation_history", args=[mayas_message.conversation_id])
    response = signed_in(client, ann).get(url)
    assert response.status_code == 302 and response.url == reverse("admin:index")


# --- four eyes: who writes an expense's figures does not approve them alone -----------------------
def test_a_manager_cannot_rewrite_a_colleagues_pending_expense_in_the_admin(client, maya, mo):
    """HOLE: the expense change form let a manager change the amounts, merchant and receipt of anyone's
    pending expense (WhatsApp and the services allow only the submitter), and then approve it: one
    manager alone set and approved the figures of an expense in a colleague's name."""
    theirs = factories.expense(by=mo, gross="11.90", net="10.00", merchant="Shell")
    data = {"spent_on": str(theirs.spent_on), "category": "other", "merchant": "Rolex", "description": "",
            "net": "4201.68", "tax_rate": "0.19", "gross": "5000.00", "currency": "EUR"}
    response = signed_in(client, maya).post(reverse("admin:agent_expense_change", args=[theirs.pk]), data)
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert (str(theirs.gross), theirs.merchant) == ("11.90", "Shell")


def test_a_manager_still_corrects_their_own_pending_expense_in_the_admin(client, maya):
    own = factories.expense(by=maya, merchant="Shel")
    data = {"spent_on": str(own.spent_on), "category": "fuel", "merchant": "Shell", "description": "",
            "net": "10.00", "tax_rate": "0.19", "gross": "11.90", "currency": "EUR"}
    response = signed_in(client, maya).post(reverse("admin:agent_expense_change", args=[own.pk]), data)
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.merchant, own.category, own.status) == ("Shell", "fuel", Expense.Status.PENDING)


@pytest.mark.parametrize("url", ["/admin/agent/toolcall/", "/admin/agent/agentturn/", "/admin/agent/pendingaction/",
                                 "/admin/whatsapp/sandboxdelivery/"])
def test_the_assistants_log_and_the_sandboxs_deliveries_are_not_for_staff(client, ann, mayas_message, url):
    """Tool calls, turns, pending questions and sandbox deliveries hold what the assistant said to anyone
    (a manager's list of everyone's expenses): no staff group permission opens them."""
    assert signed_in(client, ann).get(url).status_code in (403, 404)


def test_staff_cannot_put_an_invoice_in_a_managers_name(client, ann, maya):
    """HOLE: "created by" was a raw id anyone who changes invoices could type: Ann made her invoice look
    like Maya's (it then lists on Maya's page under "Invoices (created by them)")."""
    invoice = factories.invoice(to=factories.customer(), by=ann)
    data = {"customer": invoice.customer_id, "description": "Work", "net": "100.00", "tax_rate": "0.19",
            "gross": "119.00", "currency": "EUR", "issued_on": str(invoice.issued_on),
            "due_on": str(invoice.due_on), "status": "sent", "created_by": maya.pk}
    signed_in(client, ann).post(reverse("admin:agent_invoice_change", args=[invoice.pk]), data)
    invoice.refresh_from_db()
    assert invoice.created_by == ann


def test_a_manager_cannot_put_revenue_in_someone_elses_name(client, maya, mo):
    """HOLE: the same for revenue's "recorded by"."""
    revenue = factories.revenue(by=maya)
    data = {"received_on": str(revenue.received_on), "description": "", "net": "100.00", "tax_rate": "0.19",
            "gross": "119.00", "currency": "EUR", "recorded_by": mo.pk,
            "created_at_0": f"{revenue.created_at:%Y-%m-%d}", "created_at_1": f"{revenue.created_at:%H:%M:%S}"}
    response = signed_in(client, maya).post(reverse("admin:agent_revenue_change", args=[revenue.pk]), data)
    assert response.status_code in (302, 403) or not response.context["errors"]
    revenue.refresh_from_db()
    assert revenue.recorded_by == maya
