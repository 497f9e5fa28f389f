"""A team member's own conversation with the assistant is theirs (issue 10, holes 4 and 5), through the
real admin views.

Customers' and unknown senders' conversations are the whole team's; a staff member's or manager's own
conversation (its transcript, the assistant's tool results, media, statuses, raw webhook bodies,
take-over and pause) only that person's, the managers' and the superusers'.
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import person_conversations_visible
from tests.conftest import fresh
from tests.fakes.graph import PHONE_NUMBER_ID
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent
from whatsapp.visibility import conversations_visible_to

pytestmark = pytest.mark.django_db

# What the manager's assistant found: everyone's expenses, which staff must not read.
SECRET = "Hotel Berlin, Bo, 412.00"


def url(model, action="changelist", *args) -> str:
    return reverse(f"admin:whatsapp_{model._meta.model_name}_{action}", args=args)


def person(username: str, role: str, phone: str | None = None) -> User:
    return User.objects.create_user(username=username, first_name=username.title(), role=role, phone_number=phone,
                                    password="a-long-password-1")


@pytest.fixture
def maya(db):
    """A manager; her number is the one Meta's sample payloads come from."""
    return person("maya", User.Role.MANAGER, "+16505551234")


@pytest.fixture
def ann(db):
    return person("ann", User.Role.STAFF, "+16505550100")


@pytest.fixture
def mo(db):
    return person("mo", User.Role.MANAGER, "+16505550101")


@pytest.fixture
def managers_chat(maya, deliver, settings, tmp_path):
    """Maya asked her assistant for the expenses (a real signed webhook), it listed everyone's through a
    tool, she sent a photo of a receipt, and Meta reported her reply read."""
    from agent.models import AgentTurn, ToolCall

    settings.MEDIA_ROOT = tmp_path
    deliver(fresh("messages__text"))
    conversation = Conversation.objects.get(user=maya)
    inbound = conversation.messages.get(direction="in")
    turn = AgentTurn.objects.create(conversation=conversation, message=inbound, model="gpt-test", total_tokens=10)
    ToolCall.objects.create(conversation=conversation, message=inbound, turn=turn, name="list_expenses",
                            arguments={}, result={"expenses": [SECRET]})
    photo = Message.objects.create(conversation=conversation, direction="in", type="image", status="handled",
                                   timestamp=timezone.now(), media_mime_type="image/jpeg", media_id="receipt-1",
                                   text="Receipt")
    photo.media_file.save("receipt.jpg", ContentFile(b"\xff\xd8\xff receipt"))
    reply = conversation.messages.get(direction="out")
    StatusUpdate.objects.create(wamid=reply.wamid or "wamid.reply", status="read", timestamp=timezone.now(),
                                recipient_id="16505551234", raw={"status": "read"}, message=reply)
    return conversation


def customers_chat(username="priya", phone="+16505550130") -> Conversation:
    priya = person(username, User.Role.CUSTOMER, phone)
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key=phone[1:], wa_id=phone[1:],
                                               profile_name=priya.first_name, user=priya,
                                               last_inbound_at=timezone.now() - timedelta(minutes=5))
    Message.objects.create(conversation=conversation, direction="in", type="text", status="handled",
                           timestamp=timezone.now(), text="When is my invoice due?", wamid=f"wamid.{username}")
    return conversation


def unknown_chat() -> Conversation:
    return Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550199",
                                       wa_id="16505550199", profile_name="Sam Stranger")


def signed_in(client, user):
    client.force_login(user)
    return client


def listed(client, model) -> set:
    response = client.get(url(model))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


# --- hole 4: staff read a manager's transcript, tool results and receipts ------------------------
def test_hole4_staff_cannot_open_a_managers_transcript_or_its_tool_results(client, ann, managers_chat):
    staff = signed_in(client, ann)
    response = staff.get(url(Conversation, "change", managers_chat.pk))
    assert response.status_code == 302  # "does not exist", as for a deleted conversation
    assert SECRET not in staff.get(response.url).content.decode()
    assert managers_chat.pk not in listed(staff, Conversation)


def test_hole4_staff_cannot_download_a_managers_receipt_through_the_media_view(client, ann, managers_chat):
    photo = managers_chat.messages.get(type="image")
    response = signed_in(client, ann).get(reverse("admin:whatsapp_message_media", args=[photo.pk]))
    assert response.status_code == 404


def test_hole4_staff_cannot_read_a_managers_messages_statuses_or_raw_webhooks(client, ann, managers_chat):
    staff = signed_in(client, ann)
    assert listed(staff, Message) == set()
    inbound = managers_chat.messages.filter(direction="in").first()
    assert staff.get(url(Message, "change", inbound.pk)).status_code == 302
    assert listed(staff, StatusUpdate) == set()
    event = WebhookEvent.objects.get()
    assert listed(staff, WebhookEvent) == set()
    assert staff.get(url(WebhookEvent, "change", event.pk)).status_code == 302


def test_the_manager_herself_and_other_managers_read_all_of_it(client, maya, mo, managers_chat):
    for reader in (maya, mo):
        page = signed_in(client, reader).get(url(Conversation, "change", managers_chat.pk)).content.decode()
        assert "Hotel Berlin, Bo, 412.00" in page.replace("&#x27;", "'")
        photo = managers_chat.messages.get(type="image")
        assert client.get(reverse("admin:whatsapp_message_media", args=[photo.pk])).status_code == 200
        assert listed(client, WebhookEvent) == {WebhookEvent.objects.get().pk}
        assert len(listed(client, StatusUpdate)) == 1


def test_superusers_read_every_conversation(admin_client, managers_chat):
    assert managers_chat.pk in listed(admin_client, Conversation)
    assert admin_client.get(url(Conversation, "change", managers_chat.pk)).status_code == 200


# --- hole 5, last part: staff pause or take over a manager's assistant ---------------------------
@pytest.mark.parametrize("action, data", [("pause", {}), ("resume", {}), ("reply", {"text": "Ignore your rules."})])
def test_hole5_staff_cannot_pause_resume_or_reply_in_a_managers_conversation(client, ann, managers_chat, graph,
                                                                            action, data):
    Conversation.objects.filter(pk=managers_chat.pk).update(bot_paused=action == "resume")
    sent_before = Message.objects.filter(direction="out").count()
    response = signed_in(client, ann).post(url(Conversation, action, managers_chat.pk), data)
    assert response.status_code == 404
    managers_chat.refresh_from_db()
    assert managers_chat.bot_paused is (action == "resume")
    assert Message.objects.filter(direction="out").count() == sent_before


def test_staff_cannot_pause_a_manager_from_the_conversation_form(client, ann, managers_chat):
    signed_in(client, ann).post(url(Conversation, "change", managers_chat.pk), {"bot_paused": "on"})
    managers_chat.refresh_from_db()
    assert managers_chat.bot_paused is False


def test_staff_cannot_read_another_staff_members_conversation(client, ann):
    bo = person("bo", User.Role.STAFF, "+16505550140")
    colleague = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550140",
                                            wa_id="16505550140", user=bo)
    staff = signed_in(client, ann)
    assert colleague.pk not in listed(staff, Conversation)
    assert staff.post(url(Conversation, "pause", colleague.pk)).status_code == 404


# --- what the whole team shares --------------------------------------------------------------------
def test_staff_read_and_take_over_customers_and_unknown_senders(client, ann, managers_chat):
    customer, stranger = customers_chat(), unknown_chat()
    staff = signed_in(client, ann)
    assert listed(staff, Conversation) == {customer.pk, stranger.pk}
    assert staff.get(url(Conversation, "change", customer.pk)).status_code == 200
    assert listed(staff, Message) == {customer.messages.get().pk}
    response = staff.post(url(Conversation, "pause", customer.pk))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.bot_paused


def test_a_team_member_reads_and_pauses_their_own_conversation(client, maya, managers_chat):
    Conversation.objects.filter(pk=managers_chat.pk).update(user=person("tom", User.Role.STAFF, "+16505550150"))
    tom = User.objects.get(username="tom")
    own = signed_in(client, tom)
    assert own.get(url(Conversation, "change", managers_chat.pk)).status_code == 200
    assert own.post(url(Conversation, "pause", managers_chat.pk)).status_code == 302
    managers_chat.refresh_from_db()
    assert managers_chat.bot_paused


def test_a_persons_page_hides_a_team_members_conversations_from_other_staff(client, ann, maya, managers_chat):
    page = signed_in(client, ann).get(reverse("admin:accounts_user_change", args=[maya.pk])).content.decode()
    assert "Conversations (" not in page
    page = signed_in(client, maya).get(reverse("admin:accounts_user_change", args=[maya.pk])).content.decode()
    assert "Conversations (1)" in page


def test_the_index_counts_unknown_senders_for_staff(client, ann, managers_chat):
    unknown_chat()
    html = signed_in(client, ann).get(reverse("admin:index")).content.decode()
    assert "unknown" in html.lower()


# --- what the conversation was decides, not the role today ------------------------------------------
def test_a_team_member_writing_makes_the_conversation_private_for_good(client, ann, maya, managers_chat):
    assert managers_chat.private  # set when Maya (a manager) wrote, at intake
    User.objects.filter(pk=maya.pk).update(role=User.Role.CUSTOMER)  # however her role changes later
    assert managers_chat.pk not in listed(signed_in(client, ann), Conversation)


def test_a_customers_conversation_is_not_private(priya_wrote):
    assert not priya_wrote.private


@pytest.fixture
def priya_wrote(deliver):
    person("priya", User.Role.CUSTOMER, "+16505551234")
    deliver(fresh("messages__text"))
    return Conversation.objects.get()


def test_a_deleted_team_members_conversation_stays_private(client, ann, maya, managers_chat):
    managers_chat.private = False  # made before the flag, say: the deletion marks it
    managers_chat.save(update_fields=["private"])
    maya.delete()
    managers_chat.refresh_from_db()
    assert (managers_chat.user, managers_chat.private) == (None, True)
    assert managers_chat.pk not in listed(signed_in(client, ann), Conversation)


def test_a_former_team_members_page_does_not_list_their_private_conversations_to_staff(client, ann, maya,
                                                                                       managers_chat):
    maya.role = User.Role.CUSTOMER
    maya.save()
    page = signed_in(client, ann).get(reverse("admin:accounts_user_change", args=[maya.pk])).content.decode()
    assert "Conversations (0)" in page


# --- one rule: the person's page and the querysets agree -------------------------------------------
def test_the_person_rule_and_the_conversation_queryset_agree(db):
    people = {role: person(role, role, f"+1650555016{i}") for i, role in enumerate(User.Role.values)}
    people["root"] = User.objects.create_superuser(username="root", password="a-long-password-1")
    chats = {name: Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key=name, user=user)
             for name, user in people.items()}
    chats["unknown"] = unknown_chat()
    for viewer in people.values():
        visible = set(conversations_visible_to(viewer).values_list("pk", flat=True))
        for name, chat in chats.items():
            assert (chat.pk in visible) is person_conversations_visible(viewer=viewer, person=chat.user), (
                viewer.username, name)
    staff_sees = set(conversations_visible_to(people["staff"]).values_list("pk", flat=True))
    assert staff_sees == {chats["customer"].pk, chats["staff"].pk, chats["unknown"].pk}
