"""The channel in the admin: transcripts in order with their failures, read-only evidence, alerts."""

import json
import re
from datetime import datetime, timedelta
from datetime import timezone as tz

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.conftest import as_body, fresh, webhook_fixture
from tests.fakes.graph import PHONE_NUMBER_ID, graph_error
from whatsapp.alerts import alert_raise
from whatsapp.models import ChannelAlert, Conversation, Message, StatusUpdate, WebhookEvent

pytestmark = pytest.mark.django_db

STRANGER = "16505550199"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=tz.utc)


def url(model, action="changelist", *args) -> str:
    return reverse(f"admin:whatsapp_{model._meta.model_name}_{action}", args=args)


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def conversation(member):
    """Sheena (on the allow-list) wrote four times; one answer failed, one is from a staff member."""
    conversation = Conversation.objects.create(
        phone_number_id=PHONE_NUMBER_ID, contact_key="16505551234", wa_id="16505551234",
        profile_name="Sheena Nelson", user=member, last_inbound_at=T0 + timedelta(minutes=5),
        last_message_at=T0 + timedelta(minutes=6),
    )
    staff = User.objects.create_user(username="max", first_name="Max", last_name="Ops")

    def add(minutes, **fields):
        defaults = {"type": "text", "status": "sent"}
        return Message.objects.create(conversation=conversation, timestamp=T0 + timedelta(minutes=minutes),
                                      **{**defaults, **fields})

    # Stored out of order on purpose: the transcript follows Meta's timestamps, not arrival.
    add(6, direction="out", text="Second answer from Max", sent_by=staff, status="read")
    add(0, direction="in", wamid="wamid.in1", text="Does it come in another color?", status="handled")
    add(5, direction="in", wamid="wamid.in3", type="location", status="handled",
        data={"latitude": 37.44, "longitude": -122.16, "name": "Philz Coffee", "address": "101 Forest Ave"})
    add(1, direction="out", wamid="wamid.out1", text="Yes, in blue and green.", status="delivered")
    add(2, direction="in", wamid="wamid.in2", type="audio", media_id="m1", media_mime_type="audio/ogg",
        media_voice=True, transcript="Can I get the blue one delivered tomorrow?", status="handled")
    add(3, direction="out", text="Tomorrow works.", status="failed", error_code=131026,
        error_title="Message undeliverable", error_details="Receiver is incapable of receiving this message")
    add(4, direction="in", wamid="wamid.in4", type="reaction", text="👍", status="handled",
        data={"message_id": "wamid.out1", "emoji": "👍", "removed": False})
    return conversation


def from_stranger(name: str = "messages__text") -> bytes:
    """A real payload, written just now by Sam (+1 650 555 0199), who is not on the allow-list."""
    document = json.loads(fresh(name))
    value = document["entry"][0]["changes"][0]["value"]
    value["contacts"][0].update(wa_id=STRANGER, profile={"name": "Sam Stranger"})
    value["messages"][0]["from"] = STRANGER
    return as_body(document)


@pytest.fixture
def stranger(deliver):
    """Someone not on the allow-list wrote: a real webhook, stored and not answered."""
    deliver(from_stranger())
    return Conversation.objects.get(wa_id=STRANGER)


# --- conversations ------------------------------------------------------------------------------
def test_the_conversation_list_shows_person_user_window_and_failures(admin_client, conversation):
    html = html_of(admin_client.get(url(Conversation)))
    assert "Sheena Nelson" in html
    assert "+1 650-555-1234" in html  # the number in international format
    assert "Closed" in html  # last wrote in March
    assert "→ Second answer from Max" in html  # the newest message
    failed_link = url(Message) + f"?conversation__id__exact={conversation.pk}&amp;status__exact=failed"
    assert failed_link in html


def test_the_list_says_how_long_the_window_stays_open(admin_client, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=1))
    html = html_of(admin_client.get(url(Conversation)))
    assert re.search(r"Open, (22 h 59|23 h 00) min left", html)


@pytest.mark.parametrize("term", ["+1 (650) 555-1234", "Sheena", "nelson"])
def test_conversations_are_found_by_number_however_typed_or_by_name(admin_client, conversation, stranger, term):
    response = admin_client.get(url(Conversation), {"q": term})
    assert list(response.context["cl"].result_list) == [conversation]


def test_the_window_filter_separates_open_and_closed(admin_client, conversation, stranger):
    open_ids = [c.pk for c in admin_client.get(url(Conversation), {"window": "open"}).context["cl"].result_list]
    closed_ids = [c.pk for c in admin_client.get(url(Conversation), {"window": "closed"}).context["cl"].result_list]
    assert (open_ids, closed_ids) == ([stranger.pk], [conversation.pk])


def test_the_failed_filter_finds_conversations_with_failed_deliveries(admin_client, conversation, stranger):
    response = admin_client.get(url(Conversation), {"failed": "yes"})
    assert list(response.context["cl"].result_list) == [conversation]


def test_the_transcript_shows_every_message_in_meta_timestamp_order(admin_client, conversation):
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    in_order = ["Does it come in another color?", "Yes, in blue and green.", "Can I get the blue one delivered",
                "Tomorrow works.", "Reacted 👍", "Philz Coffee", "Second answer from Max"]
    positions = [html.index(text) for text in in_order]
    assert positions == sorted(positions)
    assert "Transcript (7 messages)" in html


def test_the_transcript_shows_a_failure_with_its_code_title_and_details(admin_client, conversation):
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert "131026 Message undeliverable" in html
    assert "Receiver is incapable of receiving this message" in html
    assert "Failed" in html


def test_the_transcript_shows_type_specific_content_and_who_sent_it(admin_client, conversation):
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert "[voice note, audio/ogg]" in html
    assert "Transcript:</em> Can I get the blue one delivered tomorrow?" in html
    assert "Philz Coffee, 101 Forest Ave (37.44, -122.16)" in html
    assert "Reacted 👍 to <code>wamid.out1</code>" in html
    assert "Max Ops" in html
    assert "assistant" in html
    assert "Delivered" in html and "Read" in html


def test_a_long_transcript_shows_the_newest_messages_and_links_to_all(admin_client, conversation, monkeypatch):
    monkeypatch.setattr("whatsapp.admin.transcript.TRANSCRIPT_LIMIT", 2)
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert "Showing the newest 2." in html
    assert "Philz Coffee" in html and "Second answer from Max" in html
    assert "Does it come in another color?" not in html

def test_a_real_delivery_failure_from_graph_shows_in_the_transcript(admin_client, member, deliver, graph):
    graph.fail_next(graph_error(131026, "Message undeliverable", details="Receiver is incapable of receiving"))
    deliver(fresh("messages__text"))
    conversation = Conversation.objects.get()
    assert Message.objects.get(direction="out").status == "failed"
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert html.index("Does it come in another color?") < html.index("Got it, thanks.")
    assert "131026" in html and "Receiver is incapable of receiving" in html


def test_a_missing_conversation_is_reported_not_an_error(admin_client, db):
    response = admin_client.get(url(Conversation, "change", "nope"))
    assert response.status_code == 302  # Django's "does not exist" redirect to the list


def test_pausing_the_assistant_saves_only_that(admin_client, conversation):
    later = timezone.now()
    page = url(Conversation, "change", conversation.pk)
    admin_client.get(page)
    # A worker moves the conversation on while the page is open.
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=later)
    response = admin_client.post(page, {"bot_paused": "on"})
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.bot_paused is True
    assert conversation.last_inbound_at == later


def test_conversations_cannot_be_added_by_hand(admin_client, conversation):
    assert admin_client.get(url(Conversation, "add")).status_code == 403


# --- unknown senders ----------------------------------------------------------------------------
def test_unknown_senders_are_listed_with_a_link_to_add_them(admin_client, conversation, stranger):
    User.objects.create_user(username="ann", phone_number="+16505550000")
    Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550000", wa_id="16505550000",
                                profile_name="Ann Known", user=User.objects.get(username="ann"))
    response = admin_client.get(url(Conversation), {"sender": "unknown"})
    html = html_of(response)
    assert list(response.context["cl"].result_list) == [stranger]
    assert "Ann Known" not in html and "Sheena Nelson" not in html
    assert "Sam Stranger" in html
    assert "Does it come in another color?" in html  # their last message
    add_link = reverse("admin:accounts_user_add") + "?phone_number=%2B16505550199&amp;first_name=Sam"
    assert add_link in html


def test_a_deactivated_person_counts_as_an_unknown_sender(admin_client, member, deliver):
    User.objects.filter(pk=member.pk).update(is_active=False)
    deliver(fresh("messages__text"))
    response = admin_client.get(url(Conversation), {"sender": "unknown"})
    assert [c.user for c in response.context["cl"].result_list] == [member]
    assert "Inactive:" in html_of(response)


def test_the_index_points_to_unknown_senders(admin_client, stranger):
    html = html_of(admin_client.get(reverse("admin:index")))
    assert "1 conversation from numbers not on the allow-list" in html
    assert url(Conversation) + "?sender=unknown" in html


# --- messages -----------------------------------------------------------------------------------
def test_the_message_list_renders_and_filters(admin_client, conversation):
    assert "Tomorrow works." in html_of(admin_client.get(url(Message)))
    response = admin_client.get(url(Message), {"status__exact": "failed"})
    assert [m.text for m in response.context["cl"].result_list] == ["Tomorrow works."]
    response = admin_client.get(url(Message), {"direction__exact": "in", "type": "audio"})
    assert [m.wamid for m in response.context["cl"].result_list] == ["wamid.in2"]


def test_messages_of_unknown_senders_can_be_filtered(admin_client, conversation, stranger):
    response = admin_client.get(url(Message), {"sender_allowed__exact": "0"})
    assert [m.conversation for m in response.context["cl"].result_list] == [stranger]


@pytest.mark.parametrize("term, wamid", [("another color", "wamid.in1"), ("wamid.in3", "wamid.in3")])
def test_messages_are_found_by_text_or_wamid(admin_client, conversation, term, wamid):
    response = admin_client.get(url(Message), {"q": term})
    assert [m.wamid for m in response.context["cl"].result_list] == [wamid]


def test_a_message_page_is_read_only(admin_client, conversation):
    message = Message.objects.get(status="failed")
    html = html_of(admin_client.get(url(Message, "change", message.pk)))
    assert "Tomorrow works." in html and "Message undeliverable" in html
    assert 'name="_save"' not in html
    assert admin_client.post(url(Message, "change", message.pk), {"text": "x"}).status_code == 403
    assert admin_client.get(url(Message, "add")).status_code == 403
    assert admin_client.get(url(Message, "delete", message.pk)).status_code == 403


# --- webhook events and statuses ----------------------------------------------------------------
def test_a_webhook_event_shows_its_counts_and_its_body_pretty_printed(admin_client, stranger):
    event = WebhookEvent.objects.get()
    html = html_of(admin_client.get(url(WebhookEvent)))
    assert str(event) in html
    html = html_of(admin_client.get(url(WebhookEvent, "change", event.pk)))
    assert '{\n  &quot;object&quot;: &quot;whatsapp_business_account&quot;,\n  &quot;entry&quot;: [' in html
    assert "Does it come in another color?" in html
    assert f"?webhook_event__id__exact={event.pk}" in html


def test_a_rejected_webhook_shows_its_error_and_raw_body(admin_client):
    event = WebhookEvent.objects.create(body=b"not json{", status="rejected", error="body is not JSON")
    assert "body is not JSON" in html_of(admin_client.get(url(WebhookEvent)))
    assert "not json{" in html_of(admin_client.get(url(WebhookEvent, "change", event.pk)))


def test_webhook_events_cannot_be_added_changed_or_deleted(admin_client, stranger):
    event = WebhookEvent.objects.get()
    assert admin_client.get(url(WebhookEvent, "add")).status_code == 403
    assert admin_client.post(url(WebhookEvent, "change", event.pk), {"error": "edited"}).status_code == 403
    assert admin_client.get(url(WebhookEvent, "delete", event.pk)).status_code == 403
    assert admin_client.post(url(WebhookEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    changelist = html_of(admin_client.get(url(WebhookEvent)))
    assert "delete_selected" not in changelist
    assert url(WebhookEvent, "add") not in changelist
    event.refresh_from_db()
    assert event.error == ""


def test_status_updates_render_read_only(admin_client, signed_post):
    signed_post(webhook_fixture("statuses__failed"))
    update = StatusUpdate.objects.get()
    assert update.wamid in html_of(admin_client.get(url(StatusUpdate)))
    html = html_of(admin_client.get(url(StatusUpdate, "change", update.pk)))
    assert "not one of ours" in html
    assert admin_client.get(url(StatusUpdate, "add")).status_code == 403
    assert admin_client.get(url(StatusUpdate, "delete", update.pk)).status_code == 403


# --- channel alerts -----------------------------------------------------------------------------
def test_open_alerts_show_in_red_on_the_index(admin_client):
    alert_raise(code=190, title="Access token expired", details="Session has expired", source="graph")
    old = alert_raise(code=131031, title="Account locked", source="graph")
    ChannelAlert.objects.filter(pk=old.pk).update(resolved_at=timezone.now())
    html = html_of(admin_client.get(reverse("admin:index")))
    assert 'class="channel-alerts"' in html
    assert "Access token expired (190)</strong>: nothing will be delivered until an operator fixes it" in html
    assert "Session has expired" in html
    assert "Account locked" not in html


def test_the_index_has_no_alert_box_when_all_is_well(admin_client):
    assert 'class="channel-alerts"' not in html_of(admin_client.get(reverse("admin:index")))


def test_the_alert_list_renders_and_alerts_can_be_marked_resolved(admin_client):
    alert = alert_raise(code=190, title="Access token expired", source="graph")
    alert_raise(code=190, title="Access token expired", source="graph")
    html = html_of(admin_client.get(url(ChannelAlert)))
    assert "Access token expired" in html
    assert html_of(admin_client.get(url(ChannelAlert, "change", alert.pk)))
    response = admin_client.post(url(ChannelAlert), {"action": "mark_resolved", "_selected_action": [alert.pk]})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_at is not None and alert.count == 2
    assert 'class="channel-alerts"' not in html_of(admin_client.get(reverse("admin:index")))



# --- the transcript as a chat, with the assistant's work ----------------------------------------
@pytest.fixture
def agent_turn(conversation):
    """The assistant answered "Does it come in another color?" after calling a tool, with its tokens."""
    from agent.models import AgentTurn, ToolCall

    inbound = Message.objects.get(wamid="wamid.in1")
    reply = Message.objects.get(wamid="wamid.out1")
    Message.objects.filter(pk=reply.pk).update(in_reply_to=inbound)
    turn = AgentTurn.objects.create(conversation=conversation, message=inbound, model="gpt-test", prompt_tokens=900,
                                    cached_tokens=768, completion_tokens=34, total_tokens=934, rounds=2)
    ToolCall.objects.create(conversation=conversation, message=inbound, turn=turn, name="product_lookup",
                            arguments={"query": "colors"}, result={"colors": ["blue", "green"]})
    ToolCall.objects.create(conversation=conversation, message=inbound, turn=turn, name="stock_check",
                            arguments={"sku": "X1"}, error="Stock service unavailable")
    AgentTurn.objects.create(conversation=conversation, message=Message.objects.get(wamid="wamid.in2"),
                             prompt_tokens=100, completion_tokens=20, total_tokens=120)
    return turn


def test_the_transcript_is_a_chat_of_bubbles_in_and_out(admin_client, conversation):
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert html.count('class="bubble transcript-message inbound') == 4
    assert html.count('class="bubble transcript-message outbound') == 3
    assert 'class="bubble transcript-message outbound by-assistant failed"' in html
    assert '<span class="sender">Sheena Nelson</span>' in html
    assert '<span class="sender">Max Ops</span>' in html and '<span class="sender">assistant</span>' in html
    assert ">9:06 a.m.</time>" in html  # times, in the locale's format (config.display)
    assert "transcript.css" in html
    # The chat and the take-over come first, the conversation's details after.
    assert html.index('id="transcript"') < html.index('id="takeover"') < html.index('id="conversation_form"')


def test_the_transcript_shows_delivery_ticks_and_failures_with_their_reason(admin_client, conversation):
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert '<span class="ticks delivered" title="Delivered">✓✓</span>' in html
    assert '<span class="ticks read" title="Read">✓✓</span>' in html  # blue
    assert '<span class="ticks failed" title="Failed">✗</span>' in html
    Message.objects.filter(text="Tomorrow works.").update(status="sent")
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert '<span class="ticks sent" title="Sent">✓</span>' in html
    assert "131026 Message undeliverable" in html and "Receiver is incapable of receiving this message" in html


def test_a_voice_note_shows_its_transcript(admin_client, conversation):
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert "[voice note, audio/ogg]" in html
    assert "Can I get the blue one delivered tomorrow?" in html


def test_tool_calls_are_folded_under_the_reply_they_led_to_with_token_use(admin_client, conversation, agent_turn):
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    reply_at = html.index("Yes, in blue and green.")
    details_at = html.index('<details class="agent-work">')
    assert reply_at < details_at < html.index("Can I get the blue one delivered")
    assert "2 tool calls · 934 tokens (900 prompt, 34 completion) · 768 cached" in html
    assert '<code class="tool-name">product_lookup</code>' in html and "&#x27;colors&#x27;" in html
    assert "Error: Stock service unavailable" in html
    # A turn whose message got no reply shows under the message itself.
    assert "0 tool calls · 120 tokens" in html
    assert "2 turns,\n    <strong>1054 tokens</strong> in total" in html
    assert "768 of the prompt tokens from the provider's cache" in html


def test_a_photo_shows_as_a_thumbnail_served_only_to_staff_who_may_read_messages(admin_client, client, conversation,
                                                                                  settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    photo = Message.objects.create(conversation=conversation, direction="in", type="image", status="handled",
                                   timestamp=T0 + timedelta(minutes=7), media_mime_type="image/jpeg",
                                   media_id="img1", text="The receipt")
    photo.media_file.save("receipt.jpg", ContentFile(b"\xff\xd8\xff fake jpeg"))
    media_url = reverse("admin:whatsapp_message_media", args=[photo.pk])
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert f'<img class="wa-thumbnail" src="{media_url}"' in html
    response = admin_client.get(media_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == b"\xff\xd8\xff fake jpeg"

    nobody = User.objects.create_user(username="nobody", role=User.Role.STAFF)
    nobody.groups.clear()  # may log in to the admin, may not read messages
    client.force_login(nobody)
    assert client.get(media_url).status_code == 403
    client.logout()
    assert client.get(media_url).status_code == 302  # to the login page


@pytest.mark.parametrize("mime_type, filename", [("image/svg+xml", "logo.svg"), ("text/html", "page.html")])
def test_a_document_that_could_run_script_is_downloaded_never_rendered(admin_client, conversation, settings,
                                                                       tmp_path, mime_type, filename):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    document = Message.objects.create(conversation=conversation, direction="in", type="document", status="handled",
                                      timestamp=T0 + timedelta(minutes=7), media_mime_type=mime_type,
                                      media_id="doc1", media_filename=filename)
    document.media_file.save(filename, ContentFile(b"<svg onload='alert(1)'></svg>"))
    response = admin_client.get(reverse("admin:whatsapp_message_media", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_list_counts_messages_waiting_for_an_answer(admin_client, member, stranger):
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505551234",
                                               wa_id="16505551234", profile_name="Sheena Nelson", user=member)

    def add(direction, text, **fields):
        fields.setdefault("status", "handled" if direction == "in" else "sent")
        return Message.objects.create(conversation=conversation, direction=direction, type="text", text=text,
                                      timestamp=timezone.now(), **fields)

    first = add("in", "Hello?")
    add("out", "Hi!", in_reply_to=first)
    add("in", "Anyone there?")
    add("in", "Hello??")
    add("out", "Lost", status="failed")  # a failed answer answers nothing
    response = admin_client.get(url(Conversation), {"waiting": "yes"})
    waiting = {c.pk: c.waiting_count for c in response.context["cl"].result_list}
    assert waiting[conversation.pk] == 2
    assert '<strong class="waiting-count">2</strong>' in html_of(admin_client.get(url(Conversation)))
    add("out", "Sorry, here now.", sent_by=member)
    response = admin_client.get(url(Conversation), {"waiting": "no"})
    assert conversation in response.context["cl"].result_list


def test_the_list_filters_by_bot_paused_and_last_message_time(admin_client, conversation, stranger):
    Conversation.objects.filter(pk=conversation.pk).update(bot_paused=True)
    response = admin_client.get(url(Conversation), {"bot_paused__exact": "1"})
    assert list(response.context["cl"].result_list) == [conversation]
    response = admin_client.get(url(Conversation), {"last_message_at__gte": "2026-03-01 00:00:00+00:00",
                                                   "last_message_at__lt": "2026-03-03 00:00:00+00:00"})
    assert list(response.context["cl"].result_list) == [conversation]


def test_without_the_assistant_the_transcript_shows_no_work_of_it(admin_client, conversation, agent_turn, settings):
    settings.WHATSAPP_AGENT_WORK = ""  # the channel alone: nothing names the answering side's work
    html = html_of(admin_client.get(url(Conversation, "change", conversation.pk)))
    assert "Yes, in blue and green." in html
    assert 'class="agent-work"' not in html and 'class="token-totals"' not in html
