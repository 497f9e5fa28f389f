"""One person, one conversation, whichever ids Meta sends: the number, the business-scoped user id
(BSUID) beside it, or (a WhatsApp username) the BSUID alone. Meta's 2026 payloads, through the real
view; on SQLite this is the ORM path, on PostgreSQL the one-statement path."""

import json
import time
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from tests.conftest import as_body, fresh, webhook_json
from whatsapp.models import Conversation, Message
from whatsapp.takeover import conversation_pause

pytestmark = pytest.mark.django_db

BSUID = "US.13491208655302741918"
NEW_BSUID = "US.20571846293015728364"
ACK = "Got it, thanks. Your message is saved."


def both_ids(**fields) -> bytes:
    """Sheena writes as Meta sends it since 2026: her number and her BSUID."""
    return fresh("messages__text_with_user_id", **fields)


def bsuid_only(**fields) -> bytes:
    """Sheena writes with a WhatsApp username: no `from`, a contact with `user_id` only."""
    return fresh("messages__text_user_id_only", **fields)


def system(name: str) -> bytes:
    return fresh(name)


# --- the two steps ----------------------------------------------------------------------------
def test_a_message_with_both_ids_is_answered_and_the_bsuid_remembered_on_person_and_conversation(
        deliver, member, graph):
    response, _ = deliver(both_ids())
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert (conversation.wa_id, conversation.bsuid, conversation.user) == ("16505551234", BSUID, member)
    member.refresh_from_db()
    assert member.bsuid == BSUID
    assert Message.objects.get(direction="in").status == "handled"
    assert graph.texts() == [ACK]


def test_a_bsuid_in_the_contacts_block_beside_the_number_is_remembered_too(deliver, member):
    document = json.loads(fresh("messages__text"))  # "from": her number, no from_user_id
    document["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"] = BSUID
    deliver(as_body(document))
    member.refresh_from_db()
    assert member.bsuid == BSUID
    assert Conversation.objects.get().bsuid == BSUID


def test_then_a_message_with_the_bsuid_alone_reaches_the_same_person_and_conversation(deliver, member, graph):
    deliver(both_ids())
    response, _ = deliver(bsuid_only())
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    inbound = list(conversation.messages.filter(direction="in"))
    assert [m.text for m in inbound] == ["Can you check invoice 12 for me?", "And is it paid yet?"]
    assert [(m.status, m.sender_allowed) for m in inbound] == [("handled", True), ("handled", True)]
    assert conversation.messages.filter(direction="out").count() == 2
    assert graph.texts() == [ACK, ACK]
    # Her number is known: replies go to it (Meta's advice), also when she wrote with the BSUID alone.
    assert [body.get("to") for body in graph.sent("text")] == ["+16505551234", "+16505551234"]


def test_a_bsuid_only_message_keeps_the_conversation_s_takeover_and_window(deliver, member, staff_user, graph):
    deliver(both_ids())
    conversation = Conversation.objects.get()
    conversation_pause(conversation=conversation, by=staff_user)
    before = conversation.last_inbound_at
    deliver(bsuid_only(timestamp=str(int(time.time()) + 5)))
    conversation.refresh_from_db()
    assert Conversation.objects.count() == 1
    assert conversation.bot_paused is True  # the person who took it over still has it
    assert conversation.last_inbound_at > before  # her message refreshed the 24-hour window
    assert conversation.messages.filter(direction="in").last().status == "handled"
    assert graph.texts() == [ACK]  # the assistant stays quiet while paused


# --- strangers named by a BSUID alone --------------------------------------------------------------------
def test_a_bsuid_only_stranger_is_stored_unanswered(deliver, db, graph):
    response, _ = deliver(bsuid_only())
    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.status, message.sender_allowed) == ("ignored", False)
    conversation = message.conversation
    assert (conversation.wa_id, conversation.bsuid, conversation.user) == ("", BSUID, None)
    assert conversation.profile_name == "Sheena Nelson"
    assert graph.requests == []


def test_a_bsuid_only_stranger_is_matched_when_add_member_links_their_bsuid(deliver, member, graph):
    deliver(bsuid_only())
    call_command("add_member", "+16505551234", "--bsuid", BSUID, stdout=StringIO())
    conversation = Conversation.objects.get()
    assert conversation.user == member
    assert Message.objects.get().status == "ignored"  # what she wrote as a stranger stays unanswered
    deliver(bsuid_only(id="wamid.after-linking"))
    assert Conversation.objects.count() == 1
    assert graph.texts() == [ACK]
    # Only her BSUID is known in this conversation: Graph gets it as `recipient`, never as `to`.
    (reply,) = graph.sent("text")
    assert reply["recipient"] == BSUID and "to" not in reply


def test_someone_known_only_by_their_bsuid_is_answered_through_recipient(deliver, db, graph):
    call_command("add_member", "--bsuid", BSUID, "--name", "Sheena Nelson", stdout=StringIO())
    deliver(bsuid_only())
    assert Conversation.objects.get().user == User.objects.get(bsuid=BSUID)
    (reply,) = graph.sent("text")
    assert (reply["recipient"], reply["recipient_type"]) == (BSUID, "individual")
    assert "to" not in reply
    (read,) = graph.read_receipts()
    assert read["message_id"] == Message.objects.get(direction="in").wamid


def test_a_bsuid_only_stranger_is_matched_by_a_later_message_with_both_ids(deliver, member, graph):
    deliver(bsuid_only())
    deliver(both_ids())
    conversation = Conversation.objects.get()
    assert (conversation.wa_id, conversation.bsuid, conversation.user) == ("16505551234", BSUID, member)
    deliver(bsuid_only(id="wamid.third"))
    assert Conversation.objects.count() == 1
    statuses = list(conversation.messages.filter(direction="in").values_list("status", flat=True))
    assert statuses == ["ignored", "handled", "handled"]
    assert graph.texts() == [ACK, ACK]


def test_a_bsuid_moves_from_a_stranger_conversation_to_the_person_s_own(deliver, member, graph):
    deliver(fresh("messages__text"))  # before 2026: her number only
    deliver(bsuid_only())  # a username: not known yet, a stranger's conversation
    assert Conversation.objects.count() == 2
    deliver(both_ids())  # Meta pairs the two: the BSUID is hers
    own = Conversation.objects.get(wa_id="16505551234")
    assert (own.bsuid, own.user) == (BSUID, member)
    deliver(bsuid_only(id="wamid.later"))
    assert own.messages.filter(direction="in").count() == 3
    earlier = Conversation.objects.exclude(pk=own.pk).get()
    assert (earlier.wa_id, earlier.bsuid, earlier.user) == ("", "", member)  # kept, under her, for its history
    assert earlier.messages.get().status == "ignored"
    assert graph.texts() == [ACK, ACK, ACK]


def test_a_bsuid_typed_on_the_wrong_person_never_lets_the_stranger_it_belongs_to_in(deliver, db, graph):
    manager = User.objects.create_user(username="boss", phone_number="+972987654321", bsuid=BSUID,
                                       role=User.Role.MANAGER)
    deliver(both_ids())  # the stranger with that BSUID writes with their own number
    message = Message.objects.get()
    assert (message.sender_allowed, message.conversation.user) == (False, None)
    manager.refresh_from_db()
    assert manager.bsuid is None  # Meta paired it with another number: the mistake is undone
    deliver(bsuid_only())  # so the stranger's username message is not taken for the manager
    assert Message.objects.filter(direction="in", sender_allowed=True).count() == 0
    assert graph.requests == []


# --- changed ids: system messages -------------------------------------------------------------------------
def test_a_changed_bsuid_follows_the_person_and_their_conversation(deliver, member, graph):
    deliver(both_ids())
    response, _ = deliver(system("messages__system_user_changed_user_id"))
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert (conversation.wa_id, conversation.bsuid) == ("16505551234", NEW_BSUID)
    member.refresh_from_db()
    assert (member.phone_number, member.bsuid) == ("+16505551234", NEW_BSUID)
    notice = conversation.messages.get(type="system")
    assert notice.status == "handled"
    assert graph.texts() == [ACK]  # WhatsApp's notice is not answered
    deliver(bsuid_only(id="wamid.new-id", from_user_id=NEW_BSUID))
    assert Conversation.objects.count() == 1
    assert graph.texts() == [ACK, ACK]


def test_an_older_message_meta_delivers_late_does_not_undo_a_changed_bsuid(deliver, member):
    now = int(time.time())
    deliver(both_ids())
    deliver(system("messages__system_user_changed_user_id"))
    deliver(fresh("messages__text_with_user_id", at=now - 3600, id="wamid.retried-for-an-hour"))
    conversation = Conversation.objects.get()
    assert conversation.bsuid == NEW_BSUID
    member.refresh_from_db()
    assert member.bsuid == NEW_BSUID
    assert conversation.messages.filter(direction="in").count() == 3


def test_a_changed_number_moves_the_person_and_their_conversation_to_the_new_number(deliver, member, graph):
    deliver(both_ids())
    deliver(system("messages__system_user_changed_number_with_user_id"))
    conversation = Conversation.objects.get()
    assert (conversation.wa_id, conversation.bsuid, conversation.user) == ("12195555358", NEW_BSUID, member)
    member.refresh_from_db()
    assert (member.phone_number, member.bsuid) == ("+12195555358", NEW_BSUID)
    deliver(fresh("messages__text", **{"from": "12195555358", "id": "wamid.from-new-number"}))
    assert Conversation.objects.count() == 1
    assert graph.texts() == [ACK, ACK]
    assert graph.sent("text")[-1]["to"] == "+12195555358"


def test_after_a_number_change_the_old_number_reaches_neither_the_person_nor_the_conversation(
        deliver, member, graph):
    deliver(both_ids())
    deliver(system("messages__system_user_changed_number_with_user_id"))
    deliver(fresh("messages__text", id="wamid.whoever-has-the-old-number-now"))  # "from": "16505551234"
    newcomer = Conversation.objects.get(wa_id="16505551234")
    assert newcomer.user is None
    assert newcomer.messages.get().status == "ignored"
    assert Conversation.objects.get(wa_id="12195555358").messages.filter(direction="in").count() == 2
    assert graph.texts() == [ACK]


def test_a_number_change_to_someone_else_s_number_changes_nothing(deliver, member, graph):
    other = User.objects.create_user(username="tom", phone_number="+12195555358")
    deliver(both_ids())
    deliver(system("messages__system_user_changed_number_with_user_id"))
    member.refresh_from_db()
    assert (member.phone_number, member.bsuid) == ("+16505551234", BSUID)
    other.refresh_from_db()
    assert other.phone_number == "+12195555358"
    conversation = Conversation.objects.get(user=member)
    assert (conversation.wa_id, conversation.bsuid) == ("16505551234", BSUID)
    assert conversation.messages.filter(type="system").exists()  # the notice is there for staff to read


def test_a_system_message_opens_no_window(deliver, db):
    deliver(system("messages__system_user_changed_user_id"))
    conversation = Conversation.objects.get()
    assert conversation.last_inbound_at is None
    assert conversation.window_open() is False


# --- a conversation keeps the person it was with --------------------------------------------------------
@pytest.fixture
def bos_conversation(db):
    """Bo wrote from the company phone, 16505551234; staff then took that number off him."""
    bo = User.objects.create_user(username="bo", first_name="Bo", phone_number="+16505551234")
    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                               wa_id="16505551234", user=bo, private=True)
    Message.objects.create(conversation=conversation, direction="in", type="text", status="handled",
                           timestamp=conversation.created_at, text="my prescription", wamid="wamid.bo")
    bo.phone_number = None
    bo.save()
    return conversation


def test_the_number_given_to_someone_else_opens_a_new_conversation_for_them(deliver, bos_conversation, graph):
    sheena = User.objects.create_user(username="sheena", phone_number="+16505551234")
    bos_conversation.refresh_from_db()
    assert bos_conversation.user.username == "bo"  # giving her the number moved nothing
    deliver(both_ids())
    new = Conversation.objects.get(user=sheena)
    assert (new.wa_id, new.bsuid) == ("16505551234", BSUID)
    assert new.messages.get(direction="in").text == "Can you check invoice 12 for me?"
    bos_conversation.refresh_from_db()
    assert (bos_conversation.user.username, bos_conversation.wa_id, bos_conversation.contact_key) == (
        "bo", "", f"#{bos_conversation.pk}")
    assert bos_conversation.messages.get().text == "my prescription"
    assert graph.texts() == [ACK]


def test_a_stranger_writing_from_a_former_colleagues_number_gets_a_conversation_of_their_own(
        deliver, bos_conversation, graph):
    deliver(fresh("messages__text"))
    stranger = Conversation.objects.exclude(pk=bos_conversation.pk).get()
    assert (stranger.wa_id, stranger.user, stranger.private) == ("16505551234", None, False)
    bos_conversation.refresh_from_db()
    assert (bos_conversation.user.username, bos_conversation.wa_id) == ("bo", "")
    # Adding the stranger later makes their own conversation theirs, never Bo's.
    sheena = User.objects.create_user(username="sheena", phone_number="+16505551234")
    stranger.refresh_from_db()
    assert stranger.user == sheena
    assert Conversation.objects.filter(user__username="bo").get() == bos_conversation


def test_a_notification_to_whoever_has_the_number_now_never_lands_in_the_old_conversation(bos_conversation, graph):
    from whatsapp.outbound.notify import notify_user

    sheena = User.objects.create_user(username="sheena", phone_number="+16505551234")
    (sent,) = notify_user(user=sheena, text="Welcome aboard")
    assert sent.conversation != bos_conversation and sent.conversation.user == sheena


# --- statuses naming the BSUID ----------------------------------------------------------------------------
def test_a_status_naming_only_the_recipient_user_id_attaches_to_our_message(signed_post, db):
    document = webhook_json("statuses__delivered_user_id_only")
    (report,) = [s for e in document["entry"] for c in e["changes"] for s in c["value"]["statuses"]]
    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key=BSUID, bsuid=BSUID)
    sent = Message.objects.create(conversation=conversation, direction="out", type="text", wamid=report["id"],
                                  status="sent", text="Yes, it is paid.", timestamp=conversation.created_at)
    assert signed_post(as_body(document)).status_code == 200
    sent.refresh_from_db()
    assert sent.status == "delivered"
    update = sent.statuses.get()
    assert (update.recipient_id, update.recipient_user_id) == ("", BSUID)


def test_a_status_naming_both_ids_keeps_both(signed_post, db):
    document = webhook_json("statuses__read_with_user_id")
    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                               wa_id="16505551234")
    (report,) = [s for e in document["entry"] for c in e["changes"] for s in c["value"]["statuses"]]
    sent = Message.objects.create(conversation=conversation, direction="out", type="text", wamid=report["id"],
                                  status="sent", text="Yes.", timestamp=conversation.created_at)
    signed_post(as_body(document))
    update = sent.statuses.get()
    assert (update.recipient_id, update.recipient_user_id, update.message) == ("16505551234", BSUID, sent)


@pytest.fixture
def staff_user(db):
    return User.objects.create_user(username="tom", first_name="Tom", role=User.Role.STAFF, is_staff=True)
