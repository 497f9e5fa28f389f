"""The inbox (/admin/inbox/): conversations waiting for a person first, unread counts, filters and
search; the open conversation's take-over, assignment and reply; and the live view the page polls,
which brings what changed. Every view reads conversations through the privacy rule."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.catalogue_support import template_approved
from tests.conftest import fresh
from tests.fakes.graph import PHONE_NUMBER_ID
from whatsapp.catalogue.picker import field_name
from whatsapp.inbox import inbox_conversations, inbox_mark_read
from whatsapp.models import Conversation, Message
from whatsapp.takeover import NotAssignable, conversation_assign, conversation_pause

pytestmark = pytest.mark.django_db

INBOX = reverse("admin:inbox")
LIVE = reverse("admin:inbox_live")


def person(username: str, role: str, phone: str | None = None, **names) -> User:
    return User.objects.create_user(username=username, role=role, phone_number=phone,
                                    first_name=names.get("first", username.title()), last_name=names.get("last", ""))


def chat(user: User | None, *texts: str, minutes_ago: int = 5, answered: bool = False, wa_id: str | None = None):
    """A conversation on our number where `user` wrote `texts` (and the assistant answered them)."""
    wa_id = wa_id or user.phone_number.lstrip("+")
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key=wa_id, wa_id=wa_id,
                                               user=user, profile_name=user.get_full_name() if user else "Stranger")
    at = timezone.now() - timedelta(minutes=minutes_ago)
    for n, text in enumerate(texts):
        Message.objects.create(conversation=conversation, direction="in", type="text", text=text,
                               wamid=f"wamid.{wa_id}.{n}", timestamp=at, created_at=at, status="handled")
    if answered:
        Message.objects.create(conversation=conversation, direction="out", type="text", text="Noted.",
                               timestamp=at + timedelta(seconds=5), created_at=at + timedelta(seconds=5),
                               status="delivered", wamid=f"wamid.{wa_id}.answer")
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=at, last_message_at=at)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def ann(db):
    return person("ann", User.Role.STAFF, "+16505550100", first="Ann", last="Lee")


@pytest.fixture
def bo(db):
    return person("bo", User.Role.STAFF, "+16505550102", first="Bo", last="Chen")


@pytest.fixture
def maya(db):
    return person("maya", User.Role.MANAGER, "+16505550101", first="Maya", last="Boss")


@pytest.fixture
def priya(db):
    return person("priya", User.Role.CUSTOMER, "+16505551234", first="Priya", last="Shah")


@pytest.fixture
def omar(db):
    return person("omar", User.Role.CUSTOMER, "+16505554321", first="Omar", last="Haddad")


def names(conversations) -> list[str]:
    return [str(c) for c in conversations]


def listed(client, **params) -> str:
    return client.get(INBOX, params).content.decode()


def live(client, **params) -> dict:
    response = client.get(LIVE, params)
    assert response.status_code == 200
    return response.json()


# --- the list ---------------------------------------------------------------------------------------
def test_conversations_waiting_for_a_person_come_first_then_those_waiting_then_the_newest(maya, priya, omar, bo):
    answered = chat(bo, "spent 12 on fuel", minutes_ago=1, answered=True)
    chat(omar, "Hello?", minutes_ago=30)
    for_a_person = chat(priya, "Can someone call me?", minutes_ago=60)
    conversation_pause(conversation=for_a_person, by=maya)

    rows = list(inbox_conversations(viewer=maya))
    assert names(rows) == ["Priya Shah", "Omar Haddad", "Bo Chen"]
    assert [(c.waiting_for_person, c.waiting_count) for c in rows] == [(True, 1), (False, 1), (False, 0)]
    assert answered.pk == rows[2].pk


def test_unread_counts_are_each_team_members_own(ann, maya, priya):
    conversation = chat(priya, "Hi", "Are you there?")
    inbox_mark_read(viewer=ann, conversation=conversation)
    Message.objects.create(conversation=conversation, direction="in", type="text", text="Hello??",
                           timestamp=timezone.now(), status="handled")

    assert inbox_conversations(viewer=ann).get().unread_count == 1
    assert inbox_conversations(viewer=maya).get().unread_count == 3


def test_opening_a_conversation_reads_it(client, ann, priya):
    conversation = chat(priya, "Hi", "Are you there?")
    client.force_login(ann)
    assert '<span class="badge unread-count" title="2 unread">2</span>' in listed(client)
    page = listed(client, c=conversation.pk)
    assert "unread-count" not in page and "Are you there?" in page


def test_the_filters_waiting_assigned_to_me_paused_and_failed(client, ann, maya, priya, omar):
    chat(priya, "Hello?")
    mine = chat(omar, "Thanks", answered=True)
    conversation_assign(conversation=mine, to=ann, by=maya)
    paused = chat(maya, "Note to self", answered=True)
    conversation_pause(conversation=paused, by=maya)
    Message.objects.create(conversation=paused, direction="out", type="text", text="Lost", status="failed",
                           timestamp=timezone.now())

    def filtered(viewer, name):
        return names(inbox_conversations(viewer=viewer, filter_name=name))

    assert filtered(ann, "waiting") == ["Priya Shah"]
    assert filtered(ann, "mine") == ["Omar Haddad"] and filtered(maya, "mine") == []
    assert filtered(maya, "paused") == ["Maya Boss"] and filtered(ann, "paused") == []  # hers alone
    assert filtered(maya, "failed") == ["Maya Boss"]
    client.force_login(ann)
    page = listed(client, filter="mine")
    assert "Omar Haddad" in page and "Priya Shah" not in page
    assert 'aria-current="page">Assigned to me <span class="tab-count">1</span>' in page


def test_search_finds_names_and_numbers_however_they_are_typed(ann, priya, omar):
    chat(priya, "Hi")
    chat(omar, "Hello")
    assert names(inbox_conversations(viewer=ann, search="shah")) == ["Priya Shah"]
    assert names(inbox_conversations(viewer=ann, search="+1 (650) 555-4321")) == ["Omar Haddad"]
    assert names(inbox_conversations(viewer=ann, search="nobody")) == []


def test_the_inbox_is_in_the_menu_and_needs_the_right_to_read_conversations(client, ann, priya):
    client.force_login(ann)
    apps = client.get(reverse("admin:index")).context["app_list"]
    whatsapp = next(app for app in apps if app["app_label"] == "whatsapp")
    assert whatsapp["models"][0]["name"] == "Inbox" and whatsapp["models"][0]["admin_url"] == INBOX
    assert all(entry["name"] for app in apps for entry in app["models"])  # the live view is no menu entry
    client.force_login(priya)  # a customer has no admin login
    assert client.get(INBOX).url.startswith(reverse("admin:login"))
    User.objects.filter(pk=priya.pk).update(is_staff=True)  # an admin login without the right to read chats
    assert client.get(INBOX).status_code == 403 and client.get(LIVE).status_code == 403


# --- privacy ----------------------------------------------------------------------------------------
def test_a_colleagues_own_conversation_is_not_in_the_inbox_nor_opened_nor_polled_nor_taken_over(client, ann, bo,
                                                                                                   maya, priya):
    private = chat(bo, "My salary question", minutes_ago=1)
    chat(priya, "Hi")
    client.force_login(ann)
    page = listed(client)
    assert "Priya Shah" in page and "Bo Chen" not in page
    page = listed(client, c=private.pk)
    assert "My salary question" not in page and "not yours to read" in page
    assert live(client, c=private.pk) == {"conversation": {"missing": True},
                                          "list": live(client, c=private.pk)["list"]}
    for action in ("take_over", "hand_back", "assign", "reply"):
        url = reverse(f"admin:whatsapp_conversation_{action}", args=[private.pk])
        assert client.post(url, {"text": "x"}).status_code == 404
    client.force_login(maya)
    assert "My salary question" in listed(client, c=private.pk)


def test_only_team_members_who_may_read_it_can_be_given_a_conversation(ann, bo, maya, priya):
    customer_chat = chat(priya, "Hi")
    private = chat(bo, "Private")
    conversation_assign(conversation=customer_chat, to=ann, by=maya)
    with pytest.raises(NotAssignable):
        conversation_assign(conversation=private, to=ann, by=maya)  # Bo's own: Ann may not read it
    with pytest.raises(NotAssignable):
        conversation_assign(conversation=customer_chat, to=priya, by=maya)  # a customer answers nobody
    conversation_assign(conversation=private, to=maya, by=maya)


# --- take over, hand back, assign, reply (as the inbox's script sends them) --------------------------
def post_json(client, action, conversation, data=None, capture=None):
    url = reverse(f"admin:whatsapp_conversation_{action}", args=[conversation.pk])
    with capture(execute=True):
        return client.post(url, data or {}, HTTP_ACCEPT="application/json")


def test_take_over_reply_and_hand_back_from_the_inbox(client, ann, priya, graph, django_capture_on_commit_callbacks):
    conversation = chat(priya, "Can someone call me?")
    client.force_login(ann)
    page = listed(client, c=conversation.pk)
    assert 'id="take-over"' in page and 'id="composer-text"' in page

    response = post_json(client, "take_over", conversation, capture=django_capture_on_commit_callbacks)
    assert response.json()["message"] == ("You answer this person now: the assistant is paused and the "
                                          "conversation is yours.")
    conversation.refresh_from_db()
    assert conversation.bot_paused and conversation.assigned_to == ann

    response = post_json(client, "reply", conversation, {"text": "I'll call you at five."},
                         capture=django_capture_on_commit_callbacks)
    assert response.json()["ok"] is True
    assert graph.texts() == ["*Ann Lee*\nI'll call you at five."]

    response = post_json(client, "hand_back", conversation, capture=django_capture_on_commit_callbacks)
    conversation.refresh_from_db()
    assert response.json()["ok"] and not conversation.bot_paused and conversation.assigned_to is None


def test_an_answer_that_cannot_go_out_says_why(client, ann, priya, django_capture_on_commit_callbacks):
    conversation = chat(priya, "Hi", minutes_ago=25 * 60)  # the window closed an hour ago
    client.force_login(ann)
    response = post_json(client, "reply", conversation, {"text": "Hello"}, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 400 and not response.json()["ok"]
    assert "The 24-hour window is closed" in response.json()["message"]
    response = post_json(client, "assign", conversation, {"assignee": str(priya.pk)},
                         capture=django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "cannot answer this conversation" in response.json()["message"]


def test_without_the_script_a_form_returns_to_the_inbox(client, ann, priya):
    conversation = chat(priya, "Hi")
    client.force_login(ann)
    back = f"{INBOX}?c={conversation.pk}"
    response = client.post(reverse("admin:whatsapp_conversation_take_over", args=[conversation.pk]), {"next": back})
    assert response.status_code == 302 and response.url == back
    response = client.post(reverse("admin:whatsapp_conversation_hand_back", args=[conversation.pk]),
                           {"next": "https://elsewhere.example/"})
    assert response.url.endswith(f"/{conversation.pk}/change/#takeover")  # never off the site


def test_outside_the_window_the_composer_is_the_template_picker(client, ann, priya, graph,
                                                                django_capture_on_commit_callbacks):
    follow_up = template_approved("follow_up", "de", body="Hallo {{1}}, wir melden uns.",
                                  components=[{"type": "BODY", "text": "Hallo {{1}}, wir melden uns.",
                                               "example": {"body_text": [["Ann"]]}}])
    conversation = chat(priya, "Hi", minutes_ago=25 * 60)
    client.force_login(ann)
    page = listed(client, c=conversation.pk)
    assert 'id="composer-text"' not in page and "data-template-picker" in page
    assert f'<option value="{follow_up.pk}">follow_up (de, utility)</option>' in page

    response = post_json(client, "reply", conversation, {"template": str(follow_up.pk),
                                                         field_name(follow_up, "body.1"): "Priya"},
                         capture=django_capture_on_commit_callbacks)
    assert response.json() == {"ok": True, "message": "Template follow_up queued.", "warning": False}
    [sent] = graph.sent("template")
    assert sent["template"]["name"] == "follow_up"
    response = post_json(client, "reply", conversation, {"template": str(follow_up.pk)},
                         capture=django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "Fill in every field" in response.json()["message"]


def test_staff_replies_are_shown_under_their_name_in_their_own_colour(client, ann, maya, priya,
                                                                     django_capture_on_commit_callbacks):
    conversation = chat(priya, "Hi", answered=True)
    client.force_login(ann)
    post_json(client, "reply", conversation, {"text": "Ann here."}, capture=django_capture_on_commit_callbacks)
    client.force_login(maya)
    post_json(client, "reply", conversation, {"text": "Maya here."}, capture=django_capture_on_commit_callbacks)
    page = listed(client, c=conversation.pk)
    assert 'by-assistant' in page
    assert f'by-staff staff-colour-{ann.pk % 6}"' in page and f'by-staff staff-colour-{maya.pk % 6}"' in page
    assert '<span class="sender">Ann Lee</span>' in page and '<span class="sender">Maya Boss</span>' in page


# --- live: what changed -----------------------------------------------------------------------------
def test_the_live_view_brings_only_what_changed(client, ann, priya, omar):
    conversation = chat(priya, "Hi")
    client.force_login(ann)
    first = live(client, c=conversation.pk, seen="1")
    panes = first["conversation"]
    assert set(panes) == {"id", "etag", "head", "chat", "person", "mode", "composer"} and panes["mode"] == "text"
    same = {"c": conversation.pk, "etag": panes["etag"], "mode": "text", "list_etag": first["list"]["etag"]}
    assert live(client, **same) == {}  # nothing changed, nothing sent

    Message.objects.create(conversation=conversation, direction="in", type="text", text="Are you there?",
                           timestamp=timezone.now(), status="received")
    changed = live(client, **same)
    assert "Are you there?" in changed["conversation"]["chat"]
    assert "composer" not in changed["conversation"]  # what is being typed stays
    assert "Are you there?" in changed["list"]["html"]


def test_ticks_and_the_closing_window_reach_the_page(client, ann, priya):
    conversation = chat(priya, "Hi", answered=True)
    client.force_login(ann)
    panes = live(client, c=conversation.pk)["conversation"]
    Message.objects.filter(direction="out").update(status="read", read_at=timezone.now())
    changed = live(client, c=conversation.pk, etag=panes["etag"], mode="text")["conversation"]
    assert 'class="ticks read"' in changed["chat"]

    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=25))
    closed = live(client, c=conversation.pk, etag=changed["etag"], mode="text")["conversation"]
    assert closed["mode"] == "template" and "manage.py whatsapp_templates create" in closed["composer"]  # none yet


def test_a_message_arriving_by_signed_webhook_shows_in_the_live_view_with_the_answer(client, maya, deliver):
    deliver(fresh("messages__text"))  # from Meta's sample sender, not on the allow-list: stored, not answered
    conversation = Conversation.objects.get()
    client.force_login(maya)
    answer = live(client, c=conversation.pk)
    assert "Does it come in another color?" in answer["conversation"]["chat"]
    assert "Does it come in another color?" in answer["list"]["html"]
    assert "Add to the allow-list" in answer["conversation"]["person"]


def test_the_home_page_opens_the_inbox(client, ann):
    client.force_login(ann)
    assert f'<a href="{INBOX}" class="button">Open the inbox</a>' in client.get(reverse("admin:index")).content.decode()


def test_the_list_comes_again_when_a_conversation_is_paused_assigned_or_fails(client, ann, maya, priya, omar):
    conversation = chat(priya, "Hi", answered=True)
    other = chat(omar, "Hello", answered=True)
    client.force_login(ann)
    etag = live(client)["list"]["etag"]
    assert live(client, list_etag=etag) == {}

    conversation_pause(conversation=conversation, by=maya)
    changed = live(client, list_etag=etag)["list"]
    assert "paused-badge" in changed["html"]
    conversation_assign(conversation=other, to=ann, by=maya)
    assigned = live(client, list_etag=changed["etag"])["list"]
    assert '<span class="badge assignee-badge">Mine</span>' in assigned["html"]
    Message.objects.filter(conversation=other, direction="out").update(status="failed")
    failed = live(client, list_etag=assigned["etag"])["list"]
    assert '<span class="badge failed-badge">1 failed</span>' in failed["html"]
