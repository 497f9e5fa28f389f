"""Without the model (AI replies off, or the model down), a customer is answered courteously and
waits for a person, whom the admin shows them to; team members get the operator's hints, and a
receipt they send is kept for their next /expense."""

import pytest
from django.urls import reverse

from accounts.models import User
from agent.models import Expense
from config.display import local_time
from whatsapp.models import Conversation, Message
from whatsapp.takeover import manual_reply_send

PASSED_ON = "Thank you for your message. I can't answer it myself right now, so I have passed it on to the team"
RECEIPT_KEPT = "I've kept this receipt. Send /expense with its amount"
IMAGE_ID = "1003383421387256"  # messages__image.json
DOCUMENT_ID = "1234567890987654321"  # messages__document.json
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00receipt-pixels\xff\xd9"
OPERATOR_WORDS = ("OPENAI", "API", "Ollama", "AI replies", "model", "assistant is unavailable")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def priya(db):
    return User.objects.create_user(username="priya", phone_number="+4915112345678", first_name="Priya",
                                    last_name="Shah", role=User.Role.CUSTOMER)


def conversation_of(user) -> Conversation:
    return Conversation.objects.get(user=user)


# --- customers ------------------------------------------------------------------------------------
def test_with_ai_replies_off_a_customer_is_answered_courteously_and_waits_for_a_person(
        assistant_without_llm, priya, say, graph):
    say("what do I owe?", sender="4915112345678")
    [text] = graph.texts()
    assert text.startswith(PASSED_ON) and "/invoices" in text and "/expense" not in text
    assert not any(word in text for word in OPERATOR_WORDS)
    conversation = conversation_of(priya)
    assert conversation.needs_person_since is not None
    assert "OPENAI_API_KEY" in conversation.needs_person_reason  # the reason is for the team


def test_with_the_model_down_a_customer_is_answered_courteously_and_waits_for_a_person(
        fake_openai, priya, say, graph):
    fake_openai.fail(500, times=3)
    say("what do I owe?", sender="4915112345678")
    [text] = graph.texts()
    assert text.startswith(PASSED_ON) and not any(word in text for word in OPERATOR_WORDS)
    assert "unavailable" in conversation_of(priya).needs_person_reason


def test_a_customers_voice_note_with_ai_replies_off_also_waits_for_a_person(assistant_without_llm, priya, say,
                                                                               graph):
    say(kind="audio_voice_note", sender="4915112345678")
    [text] = graph.texts()
    assert text.startswith(PASSED_ON) and not any(word in text for word in OPERATOR_WORDS)
    assert conversation_of(priya).needs_person_since is not None


def test_waiting_since_is_the_first_unanswered_message(assistant_without_llm, priya, say):
    say("hello?", sender="4915112345678")
    first = conversation_of(priya).needs_person_since
    say("anyone?", sender="4915112345678")
    assert conversation_of(priya).needs_person_since == first


def test_a_reply_by_hand_means_the_customer_no_longer_waits(assistant_without_llm, priya, say, staff):
    say("what do I owe?", sender="4915112345678")
    manual_reply_send(conversation=conversation_of(priya), by=staff, text="EUR 238.00, Priya. Thank you!")
    conversation = conversation_of(priya)
    assert (conversation.needs_person_since, conversation.needs_person_reason) == (None, "")


def test_the_admin_shows_who_waits_for_a_person(assistant_without_llm, priya, say, admin_client):
    say("what do I owe?", sender="4915112345678")
    conversation = conversation_of(priya)
    listed = admin_client.get(reverse("admin:whatsapp_conversation_changelist"), {"waiting": "person"})
    assert [c.pk for c in listed.context["cl"].result_list] == [conversation.pk]
    assert 'class="needs-person"' in listed.content.decode()
    page = admin_client.get(reverse("admin:whatsapp_conversation_change", args=[conversation.pk])).content.decode()
    assert 'id="needs-person"' in page and "Needs a person since" in page
    home = admin_client.get(reverse("admin:index")).content.decode()
    assert "1 conversation needs a person" in home


# --- team members ---------------------------------------------------------------------------------
def test_a_team_member_gets_the_operator_hint_and_nobody_is_flagged(assistant_without_llm, staff, say, graph):
    say("spent 42.50 on fuel")
    [text] = graph.texts()
    assert "OPENAI_API_KEY" in text and "/expense 12.50 fuel [category]" in text
    assert conversation_of(staff).needs_person_since is None


def test_a_receipt_photo_without_the_model_is_kept_and_attached_to_the_next_expense_command(
        assistant_without_llm, staff, say, graph):
    graph.add_media(IMAGE_ID, JPEG, "image/jpeg")
    say(kind="image", caption="lunch with a client")
    photo = Message.objects.get(type="image")
    assert graph.texts()[0].startswith(RECEIPT_KEPT) and "OPENAI_API_KEY" in graph.texts()[0]
    say("/expense 12.50 lunch meals")
    expense = Expense.objects.get()
    assert expense.receipt.read() == JPEG and expense.source_message == photo
    assert graph.texts()[1].endswith(f"The receipt photo you sent at {local_time(photo.timestamp)} is attached.")
    say("/expense 3.20 coffee meals")  # the receipt went with the first one only
    assert not Expense.objects.get(description="coffee").receipt
    assert "receipt" not in graph.texts()[2]


def test_with_the_model_down_a_receipt_pdf_is_kept_for_the_next_expense_command(fake_openai, staff, say, graph):
    from tests.agent.test_media import pdf_with_text

    graph.add_media(DOCUMENT_ID, pdf_with_text("Hotel Adler 119.00"), "application/pdf")
    fake_openai.fail(500, times=3)
    say(kind="document")
    assert graph.texts()[0].startswith(RECEIPT_KEPT) and "can't think right now" in graph.texts()[0]
    say("/expense 119 hotel travel")
    assert Expense.objects.get().receipt.read().startswith(b"%PDF")
    assert graph.texts()[1].endswith("is attached.") and "receipt document" in graph.texts()[1]


def test_an_expense_command_as_a_photos_caption_attaches_that_photo(assistant_without_llm, staff, say, graph):
    graph.add_media(IMAGE_ID, JPEG, "image/jpeg")
    say(kind="image", caption="/expense 12.50 lunch meals")
    expense = Expense.objects.get()
    assert expense.receipt.read() == JPEG and expense.category == "meals"
    assert graph.texts()[0].endswith("The receipt you sent with it is attached.")


def test_the_inbox_puts_who_waits_for_a_person_first(assistant_without_llm, priya, staff, say):
    from whatsapp.inbox import inbox_conversations

    say("/help")  # the staff member's own chat, newer than nothing waiting
    say("what do I owe?", sender="4915112345678")
    say("/expenses")  # newer still
    manager = User.objects.create_user(username="mo", role=User.Role.MANAGER, is_superuser=True)
    listed = list(inbox_conversations(viewer=manager))
    assert listed[0].user == priya and listed[0].waiting_for_person
    waiting = list(inbox_conversations(viewer=manager, filter_name="waiting"))
    assert [c.user for c in waiting] == [priya]
