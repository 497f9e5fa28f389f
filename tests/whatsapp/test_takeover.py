"""Take over: a staff member pauses the assistant, replies by hand (free text inside the window, only an
approved template outside it: tests/whatsapp/test_template_picker.py) through the same outbound
pipeline, and hands back with resume."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.conftest import fresh
from whatsapp.models import ChannelAlert, Conversation, Message
from whatsapp.sandbox.feed import feed
from whatsapp.takeover import WindowClosedForFreeText, conversation_pause, manual_reply_send

pytestmark = pytest.mark.django_db

ACK = "Got it, thanks. Your message is saved."


@pytest.fixture
def staff(db):
    """Max, in the Staff group by his role, logs in to the admin with a password."""
    user = User.objects.create_user(username="max", password="a-long-password-1", first_name="Max",
                                    last_name="Ops", role=User.Role.STAFF)
    assert user.is_staff and user.groups.filter(name="Staff").exists()
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def member(db):
    """Sheena Nelson writes as a customer: customers' conversations are the whole team's to answer (a
    team member's own conversation is private to them and managers: tests/whatsapp/test_privacy.py)."""
    return User.objects.create_user(username="sheena", phone_number="+16505551234", first_name="Sheena",
                                    last_name="Nelson", role=User.Role.CUSTOMER)


@pytest.fixture
def written(member, deliver):
    """Sheena wrote just now (the window is open) and the assistant answered."""
    deliver(fresh("messages__text"))
    return Conversation.objects.get()


def page(conversation, action="change"):
    return reverse(f"admin:whatsapp_conversation_{action}", args=[conversation.pk])


def post(client, url, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url, data)


def close_window(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=25))
    conversation.refresh_from_db()


# --- inside the window --------------------------------------------------------------------------
def test_staff_reply_by_hand_inside_the_window_and_it_is_sent(staff_client, staff, written, graph,
                                                            django_capture_on_commit_callbacks):
    html = staff_client.get(page(written)).content.decode()
    assert '<textarea id="reply-text" name="text"' in html
    response = post(staff_client, page(written, "reply"), {"text": "Max here, I'll check the stock."},
                    django_capture_on_commit_callbacks)
    assert response.status_code == 302
    reply = Message.objects.get(direction="out", sent_by=staff)
    assert reply.status == "sent" and reply.text == "Max here, I'll check the stock."
    assert graph.texts() == [ACK, "*Max Ops*\nMax here, I'll check the stock."]  # signed with his name
    html = staff_client.get(page(written)).content.decode()
    assert "Max Ops" in html and "Max here, I&#x27;ll check the stock." in html


def test_while_delivery_is_paused_staff_are_told_their_reply_waits(staff_client, staff, written, graph,
                                                                  django_capture_on_commit_callbacks):
    ChannelAlert.objects.create(code=190, title="Error validating access token", source="graph")
    response = post(staff_client, page(written, "reply"), {"text": "On it."}, django_capture_on_commit_callbacks)
    html = staff_client.get(response.url).content.decode()
    assert "Reply queued. Delivery is paused" in html
    assert Message.objects.get(direction="out", sent_by=staff).status == "queued"  # nothing lost


def test_an_empty_reply_is_refused(staff_client, written, django_capture_on_commit_callbacks):
    response = post(staff_client, page(written, "reply"), {"text": "  "}, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert not Message.objects.filter(direction="out", sent_by__isnull=False).exists()


# --- outside the window -------------------------------------------------------------------------


def test_outside_the_window_free_text_is_refused(staff_client, written, graph, django_capture_on_commit_callbacks):
    close_window(written)
    response = post(staff_client, page(written, "reply"), {"text": "Are you there?"},
                    django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert not Message.objects.filter(text="Are you there?").exists()
    assert graph.texts() == [ACK]
    html = staff_client.get(response.url).content.decode()
    assert "The 24-hour window is closed" in html


def test_the_service_refuses_free_text_when_the_window_is_closed(staff, written):
    close_window(written)
    with pytest.raises(WindowClosedForFreeText):
        manual_reply_send(conversation=written, by=staff, text="Hello?")


def test_pause_stops_the_assistant_and_resume_hands_back(staff_client, written, deliver, graph,
                                                        django_capture_on_commit_callbacks):
    html = staff_client.get(page(written)).content.decode()
    assert "Pause assistant" in html
    post(staff_client, page(written, "pause"), {}, django_capture_on_commit_callbacks)
    written.refresh_from_db()
    assert written.bot_paused
    assert "Resume assistant" in staff_client.get(page(written)).content.decode()

    deliver(fresh("messages__text", id="wamid.while-paused"))
    assert graph.texts() == [ACK]  # no automatic answer
    assert Message.objects.get(wamid="wamid.while-paused").replies.count() == 0
    listing = staff_client.get(reverse("admin:whatsapp_conversation_changelist"), {"waiting": "yes"})
    assert [c.waiting_count for c in listing.context["cl"].result_list] == [1]

    post(staff_client, page(written, "resume"), {}, django_capture_on_commit_callbacks)
    written.refresh_from_db()
    assert not written.bot_paused
    deliver(fresh("messages__text", id="wamid.after-resume"))
    assert graph.texts() == [ACK, ACK]


def test_take_over_needs_a_post(staff_client, written):
    assert staff_client.get(page(written, "pause")).status_code == 405


def test_someone_without_change_conversation_cannot_take_over(client, written, django_capture_on_commit_callbacks):
    reader = User.objects.create_user(username="reader", role=User.Role.STAFF)
    reader.groups.clear()  # staff login, no permissions
    client.force_login(reader)
    assert post(client, page(written, "pause"), {}, django_capture_on_commit_callbacks).status_code == 403
    response = post(client, page(written, "reply"), {"text": "hi"}, django_capture_on_commit_callbacks)
    assert response.status_code == 403
    written.refresh_from_db()
    assert not written.bot_paused


def test_a_paused_conversation_still_gets_manual_replies(staff, written, graph, django_capture_on_commit_callbacks):
    conversation_pause(conversation=written, by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        manual_reply_send(conversation=written, by=staff, text="I'm on it.")
    assert graph.texts() == [ACK, "*Max Ops*\nI'm on it."]


def test_a_long_reply_by_hand_is_signed_once_and_every_part_fits(staff, written, graph,
                                                                django_capture_on_commit_callbacks):
    text = ("A sentence of the reply. " * 400).strip()  # about 10,000 characters: three parts
    with django_capture_on_commit_callbacks(execute=True):
        parts = manual_reply_send(conversation=written, by=staff, text=text)
    sent = graph.texts()[1:]
    assert len(sent) == len(parts) == 3
    assert sent[0].startswith("*Max Ops*\nA sentence") and not any("Max Ops" in part for part in sent[1:])
    assert all(len(part) <= 4096 for part in sent)
    assert " ".join(p.text for p in parts) == text  # the transcript keeps what he wrote


def test_someone_without_a_name_signs_with_the_business_team_never_the_login(written, graph, settings,
                                                                            django_capture_on_commit_callbacks):
    settings.BUSINESS_NAME = "Becker Plumbing"
    admin = User.objects.create_superuser(username="admin", password="x")
    with django_capture_on_commit_callbacks(execute=True):
        manual_reply_send(conversation=written, by=admin, text="Hello!")
    assert graph.texts()[1] == "*The Becker Plumbing team*\nHello!"


def test_the_sandbox_phone_shows_the_reply_as_the_person_reads_it(staff, member, written,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        manual_reply_send(conversation=written, by=staff, text="On my way.")
    assert feed(member)["messages"][-1]["text"] == "*Max Ops*\nOn my way."
