"""Review of issue 10, hole 4 and the privacy rule: a team member's own conversation with the assistant
(transcript, tool results, media, statuses, raw webhook bodies) is theirs, their managers' and the
superusers'. Through real signed webhooks and the real admin views.
"""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from agent.models import ToolCall
from tests.conftest import fresh
from tests.fakes.graph import PHONE_NUMBER_ID
from tests.whatsapp.test_intake_outage import database_refusing, refused_value
from whatsapp.models import Conversation, Message, WebhookEvent

pytestmark = pytest.mark.django_db

# What Meta's sample text message (tests/fixtures/webhook/messages__text.json) says.
SAMPLE_TEXT = "Does it come in another color?"


def someone(username: str, role: str, phone: str) -> User:
    return User.objects.create_user(username=username, first_name=username.title(), role=role, phone_number=phone,
                                    password="a-long-password-1")


@pytest.fixture
def ann(db):
    return someone("ann", User.Role.STAFF, "+16505550100")


@pytest.fixture
def maya(db):
    """A manager; her number is the one Meta's sample payloads come from."""
    return someone("maya", User.Role.MANAGER, "+16505551234")


def events_listed(client) -> set:
    page = client.get(reverse("admin:whatsapp_webhookevent_changelist"))
    assert page.status_code == 200
    return {event.pk for event in page.context["cl"].result_list}


def test_staff_cannot_read_a_managers_message_in_a_body_kept_raw(client, ann, maya, signed_post):
    """HOLE: a body the database refused is kept raw with no message row, so the rule that hides
    bodies carrying a manager's message (it looks for her stored messages) let every staff member
    read it in the webhook admin until it is replayed."""
    with database_refusing("whatsapp_message", refused_value()):
        assert signed_post(fresh("messages__text")).json()["stored"] == "raw body only"
    event = WebhookEvent.objects.get()
    assert SAMPLE_TEXT in bytes(event.body).decode()
    client.force_login(ann)
    assert events_listed(client) == set()
    assert SAMPLE_TEXT not in client.get(reverse("admin:whatsapp_webhookevent_change", args=[event.pk])).content.decode()


def test_staff_cannot_read_a_managers_message_that_could_not_be_read(client, ann, maya, signed_post):
    """HOLE: a message Meta sent that could not be read (here its timestamp) is named on its event and not
    stored, so its body, with the manager's words, showed to every staff member."""
    document = json.loads(fresh("messages__text"))
    document["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "yesterday"
    assert signed_post(json.dumps(document).encode()).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.error and not Message.objects.exists()
    client.force_login(ann)
    assert events_listed(client) == set()


def test_managers_still_read_the_bodies_kept_raw(client, maya, signed_post):
    with database_refusing("whatsapp_message", refused_value()):
        signed_post(fresh("messages__text"))
    client.force_login(maya)
    assert events_listed(client) == {WebhookEvent.objects.get().pk}


def test_a_staff_members_old_chat_stays_private_when_a_manager_makes_them_a_customer(client, ann):
    """The privacy rule looks at what the conversation was, not only at the role the person has now.
    Bo, staff, asked his assistant for his expenses; when he leaves and stays on as a customer (a
    manager changes his role), his old transcript, tool results listing his expenses included, stays
    closed to the other staff members, as the expense admin keeps those expenses from them."""
    bo = someone("bo", User.Role.STAFF, "+16505550101")
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550101",
                                               wa_id="16505550101", user=bo)
    asked = Message.objects.create(conversation=conversation, direction="in", type="text", status="handled",
                                   timestamp=timezone.now(), text="my expenses?", wamid="wamid.bo-1")
    ToolCall.objects.create(conversation=conversation, message=asked, name="list_expenses", arguments={},
                            result={"expenses": ["Pharmacy, Bo, 89.00"]})
    bo.role = User.Role.CUSTOMER
    bo.save()
    client.force_login(ann)
    page = client.get(reverse("admin:whatsapp_conversation_change", args=[conversation.pk]))
    assert "Pharmacy" not in page.content.decode()


def bos_chat() -> User:
    """Bo (staff) logged a pharmacy receipt with his assistant; its tool results list his expenses."""
    bo = someone("bo", User.Role.STAFF, "+16505550101")
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550101",
                                               wa_id="16505550101", user=bo)
    asked = Message.objects.create(conversation=conversation, direction="in", type="text", status="handled",
                                   timestamp=timezone.now(), text="log 89 at the pharmacy, my prescription",
                                   wamid="wamid.bo-1")
    ToolCall.objects.create(conversation=conversation, message=asked, name="list_expenses", arguments={},
                            result={"expenses": ["Pharmacy, Bo, 89.00"]})
    return bo


def number_taken_off(client, manager: User, person: User):
    """Bo leaves: the manager takes the company phone's number off him (it goes to someone else next)."""
    client.force_login(manager)
    response = client.post(reverse("admin:accounts_user_change", args=[person.pk]), {
        "username": person.username, "first_name": person.first_name, "last_name": "", "email": "",
        "phone_number": "", "role": person.role})
    assert response.status_code == 302


def transcripts_of(client, reader: User, conversations) -> str:
    client.force_login(reader)
    return "".join(client.get(reverse("admin:whatsapp_conversation_change", args=[c.pk])).content.decode()
                   for c in conversations)


def test_a_departed_staff_members_chat_does_not_go_to_whoever_gets_the_company_phone_next(
        client, fake_openai, deliver):
    """Bo (staff) leaves; the manager takes his company phone's number off him and gives it to Tom,
    the new hire. Bo's conversation keeps the person it was with: Tom's first message opens a new
    conversation, so Tom reads neither Bo's transcript nor the tool results listing Bo's expenses in
    the admin, and Tom's assistant never gets Bo's messages as Tom's own history."""
    from tests.agent.conftest import message_body

    maya = someone("maya", User.Role.MANAGER, "+16505550102")
    number_taken_off(client, maya, bos_chat())
    assert client.post(reverse("admin:accounts_user_add"), {
        "username": "tom", "phone_number": "+16505550101", "first_name": "Tom", "last_name": "",
        "role": "staff", "usable_password": "true", "password1": "a-long-password-1",
        "password2": "a-long-password-1"}).status_code == 302
    tom = User.objects.get(username="tom")
    deliver(message_body(text="hi, I'm new", sender="16505550101"))
    history = json.dumps(fake_openai.chat_requests[-1]["messages"])
    transcripts = transcripts_of(client, tom, Conversation.objects.filter(user=tom))
    assert "prescription" not in history and "Pharmacy" not in history
    assert "Pharmacy" not in transcripts and "prescription" not in transcripts


def test_staff_cannot_open_a_former_colleagues_chat_by_adding_a_customer_with_his_old_number(client, ann):
    """The same, done by any staff member: once Bo's number is free, Ann adds a customer with it
    (staff add customers). Bo's conversation stays his and private: Ann never reads his transcript
    and the expenses in it."""
    maya = someone("maya", User.Role.MANAGER, "+16505550102")
    number_taken_off(client, maya, bos_chat())
    client.force_login(ann)
    assert client.post(reverse("admin:accounts_user_add"), {
        "username": "", "phone_number": "+16505550101", "first_name": "New", "last_name": "Customer",
        "role": "customer"}).status_code == 302
    assert "Pharmacy" not in transcripts_of(client, ann, Conversation.objects.all())
