"""Sandbox mode: the project's own Graph API stand-in, the webhooks it posts back, the /sandbox/ page.

The real GraphClient (requests) talks to the stand-in over HTTP on a live server; the stand-in's
status webhooks reach the real webhook endpoint the same way, signed as Meta signs them.
"""

import base64
import hashlib
import time

import pytest
import requests
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from tests.fakes.graph import PHONE_NUMBER_ID
from tests.whatsapp.conftest import worker_idle
from whatsapp.catalogue.components import template_components
from whatsapp.outbound.client import GraphClient
from whatsapp.outbound.errors import GraphPermanentError
from whatsapp.models import Conversation, Message, SandboxDelivery, SandboxMedia, StatusUpdate
from whatsapp.payloads import parse_body
from whatsapp.sandbox import graph as stand_in
from whatsapp.sandbox import phone, services
from whatsapp.sandbox.mode import sandbox_enabled
from whatsapp.signatures import signature_valid

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@pytest.fixture
def sandbox(sandbox_mode):
    return sandbox_mode


@pytest.fixture
def served(sandbox_served):
    return sandbox_served


@pytest.fixture
def ann(db):
    return User.objects.create_user(username="ann", phone_number="+15550102030", first_name="Ann", last_name="Lee",
                                    role=User.Role.STAFF)


@pytest.fixture
def team_client(client, db):
    admin = User.objects.create_user(username="boss", password="pw-123-long", is_staff=True,
                                     role=User.Role.MANAGER)
    client.force_login(admin)
    return client


# --- when the sandbox exists --------------------------------------------------------------------
def test_the_sandbox_is_on_only_while_the_stand_in_credentials_are_in_use(sandbox):
    assert sandbox_enabled()
    sandbox.WHATSAPP_APP_SECRET = "a-real-app-secret"
    assert not sandbox_enabled()


def test_production_settings_with_a_real_token_close_every_sandbox_url(sandbox, team_client, ann):
    sandbox.DEBUG = False
    sandbox.WHATSAPP_ACCESS_TOKEN = "EAAG-a-real-token"
    assert not sandbox_enabled()
    for url in ("/sandbox/", f"/sandbox/people/{ann.pk}/feed/", "/sandbox/graph/v25.0/123"):
        assert team_client.get(url).status_code == 404, url
    assert team_client.post(f"/sandbox/people/{ann.pk}/compose/", {"text": "hi"},
                            content_type="application/json").status_code == 404
    assert team_client.post("/sandbox/graph/v25.0/1/messages", {}, content_type="application/json",
                            HTTP_AUTHORIZATION="Bearer EAAG-a-real-token").status_code == 404


def test_switched_off_by_setting_the_sandbox_is_gone(settings, team_client):
    settings.WHATSAPP_SANDBOX = False
    assert team_client.get("/sandbox/").status_code == 404


# --- the Graph API stand-in, through the real client and the real webhook ---------------------
def wrote_just_now(*, wa_id: str = "", bsuid: str = "") -> Conversation:
    """Someone wrote to our number a moment ago: their 24-hour window is open, at the stand-in too."""
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key=wa_id or bsuid, wa_id=wa_id,
                                               bsuid=bsuid)
    Message.objects.create(conversation=conversation, direction="in", type="text", wamid=f"wamid.in-{wa_id or bsuid}",
                           text="hi", timestamp=timezone.now(), status="handled")
    return conversation


def post_webhook(url: str, webhook: phone.SignedWebhook):
    return requests.post(f"{url}/webhooks/whatsapp/", data=webhook.body, timeout=30,
                         headers={"Content-Type": "application/json", "X-Hub-Signature-256": webhook.signature})


@pytest.mark.django_db(transaction=True)
def test_a_reply_goes_to_the_stand_in_and_comes_back_sent_delivered_and_read(served, ann):
    hello = phone.message_webhook(wa_id="15550102030", profile_name="Ann Lee", message=phone.text("hello"))
    assert post_webhook(served.url, hello).status_code == 200

    inbound = Message.objects.get(direction="in")
    reply = Message.objects.get(direction="out")
    delivery = SandboxDelivery.objects.get(kind="message")
    assert delivery.to == "+15550102030" and delivery.payload["text"]["body"] == reply.text
    assert reply.wamid == delivery.wamid
    # Meta's three status webhooks came back signed, were accepted and moved the reply forward.
    assert sorted(StatusUpdate.objects.filter(message=reply).values_list("status", flat=True)) == [
        "delivered", "read", "sent"]
    reply.refresh_from_db()
    assert reply.status == "read" and reply.sent_at and reply.delivered_at and reply.read_at
    # And the person's own message was marked read (blue ticks on their phone).
    assert SandboxDelivery.objects.filter(kind="read", wamid=inbound.wamid).exists()


@pytest.mark.django_db(transaction=True)
def test_a_message_to_a_business_scoped_user_id_is_accepted_and_reported_by_that_id(served):
    bsuid = "US.13491208655302741918"
    wrote_just_now(bsuid=bsuid)
    (wamid,) = GraphClient().send_text({"recipient": bsuid}, "hi")
    assert SandboxDelivery.objects.get(wamid=wamid).to == bsuid
    assert {(s.recipient_id, s.recipient_user_id) for s in StatusUpdate.objects.filter(wamid=wamid)} == {
        ("", bsuid)}


@pytest.mark.django_db(transaction=True)
def test_the_stand_in_refuses_a_wrong_token_as_meta_does(served):
    with pytest.raises(GraphPermanentError) as caught:
        GraphClient(token="not-the-token").send_text("+15550102030", "hi")
    assert caught.value.code == 190
    assert not SandboxDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_stand_in_refuses_what_meta_refuses(served, settings):
    client = GraphClient()
    with pytest.raises(GraphPermanentError) as too_long:
        client.send_message({"to": "+15550102030", "type": "text", "text": {"body": "x" * 4097}})
    with pytest.raises(GraphPermanentError) as other_number:
        GraphClient(phone_number_id="999").send_text("+15550102030", "hi")
    assert too_long.value.code == 100 and "4096" in too_long.value.details
    assert other_number.value.code == 100
    assert not SandboxDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_template_is_accepted_and_billed_like_meta_bills_it(served, ann, settings):
    wamid = GraphClient().send_template("+15550102030", settings.WHATSAPP_REENGAGEMENT_TEMPLATE, "en_US",
                                        template_components(body=["Acme"]))
    assert SandboxDelivery.objects.get(wamid=wamid).type == "template"
    sent = StatusUpdate.objects.get(wamid=wamid, status="sent")
    assert sent.raw["pricing"]["billable"] is True and sent.raw["pricing"]["category"] == "utility"


@pytest.mark.django_db(transaction=True)
def test_media_from_the_sandbox_phone_downloads_like_graph_media(served):
    kind, media = services.media_store(content=PNG, mime_type="image/png", filename="receipt.png")
    downloaded = GraphClient().download_media(media.media_id)
    assert kind == "image" and downloaded.read() == PNG and downloaded.mime_type == "image/png"
    assert downloaded.sha256 == base64.b64encode(hashlib.sha256(PNG).digest()).decode()


@pytest.mark.django_db(transaction=True)
def test_an_expired_media_url_answers_404_and_the_client_gives_up_after_asking_again(served, monkeypatch):
    _, media = services.media_store(content=PNG, mime_type="image/png")
    monkeypatch.setattr(stand_in, "MEDIA_URL_SECONDS", -1)
    with pytest.raises(GraphPermanentError) as caught:
        GraphClient().download_media(media.media_id)
    assert caught.value.http_status == 404


@pytest.mark.django_db(transaction=True)
def test_a_document_is_uploaded_to_the_stand_in_and_sent_by_its_media_id(served):
    wrote_just_now(wa_id="15550102030")
    client = GraphClient()
    media_id = client.upload_media(b"%PDF-1.7 invoice", mime_type="application/pdf", filename="INV-2026-0001.pdf")
    kept = SandboxMedia.objects.get(media_id=media_id)
    assert (bytes(kept.content), kept.mime_type, kept.filename) == (b"%PDF-1.7 invoice", "application/pdf",
                                                                   "INV-2026-0001.pdf")
    wamid = client.send_message({"to": "+15550102030", "type": "document",
                                 "document": {"id": media_id, "filename": "INV-2026-0001.pdf"}})
    assert SandboxDelivery.objects.get(wamid=wamid).type == "document"
    with pytest.raises(GraphPermanentError) as wrong_token:
        GraphClient(token="not-the-token").upload_media(b"%PDF", mime_type="application/pdf", filename="a.pdf")
    assert wrong_token.value.code == 190


def test_the_media_url_needs_the_bearer_token(sandbox, client, db):
    _, media = services.media_store(content=PNG, mime_type="image/png")
    token = signing.dumps(media.media_id, salt="sandbox-media")
    url = f"/sandbox/graph/media-download/{token}/"
    assert client.get(url).status_code == 401
    ok = client.get(url, HTTP_AUTHORIZATION=f"Bearer {sandbox.WHATSAPP_ACCESS_TOKEN}")
    assert ok.status_code == 200 and ok.content == PNG


# --- the /sandbox/ page ---------------------------------------------------------------------------
def test_the_page_is_for_the_team_only(sandbox, client, ann):
    assert client.get("/sandbox/").status_code == 302
    client.force_login(User.objects.create_user(username="c", password="pw-123-long", role=User.Role.CUSTOMER))
    assert client.get("/sandbox/").status_code == 302
    assert client.post(f"/sandbox/people/{ann.pk}/compose/", {"text": "hi"},
                       content_type="application/json").status_code == 302


def test_the_page_lists_the_allow_list_and_never_the_app_secret(sandbox, team_client, ann):
    User.objects.create_user(username="gone", phone_number="+15550109999", first_name="Gone", is_active=False)
    page = team_client.get("/sandbox/").content.decode()
    assert "Ann Lee" in page and "+15550102030" in page and "Gone" not in page
    assert sandbox.WHATSAPP_APP_SECRET not in page and sandbox.WHATSAPP_ACCESS_TOKEN not in page
    assert "AI replies off" in page


def test_staff_chat_as_themselves_and_customers_never_as_a_colleague_or_a_manager(sandbox, client, ann):
    """Speaking as someone is acting with their role: the sandbox is no way round the permissions."""
    sam = User.objects.create_user(username="sam", phone_number="+15550100002", first_name="Sam",
                                   role=User.Role.STAFF, is_staff=True)
    maria = User.objects.create_user(username="maria", phone_number="+15550100001", first_name="Maria",
                                     role=User.Role.MANAGER, is_staff=True)
    priya = User.objects.create_user(username="priya", phone_number="+15550100003", first_name="Priya",
                                     role=User.Role.CUSTOMER)
    client.force_login(sam)
    page = client.get("/sandbox/").content.decode()
    assert "Sam" in page and "Priya" in page and "Maria" not in page and "Ann Lee" not in page
    for someone in (maria, ann):
        assert compose(client, someone, text="/expenses").status_code == 404
        assert client.get(f"/sandbox/people/{someone.pk}/feed/").status_code == 404
    for someone in (sam, priya):
        assert compose(client, someone, text="/help").status_code == 200


def compose(team_client, person, **data):
    return team_client.post(f"/sandbox/people/{person.pk}/compose/", data, content_type="application/json")


def test_compose_builds_the_webhook_meta_would_send_signed_with_the_app_secret(sandbox, team_client, ann):
    answer = compose(team_client, ann, text="café receipt").json()
    body = answer["body"].encode()
    assert signature_valid(body, answer["signature"], sandbox.WHATSAPP_APP_SECRET)
    assert b"caf\\u00e9" in body  # non-ASCII escaped, as Meta sends it
    [message] = parse_body(body).messages
    assert message.wa_id == "15550102030" and message.type == "text" and message.text == "café receipt"
    assert message.profile_name == "Ann Lee" and message.phone_number_id == sandbox.WHATSAPP_PHONE_NUMBER_ID


def test_the_composed_webhook_is_accepted_by_the_real_endpoint(sandbox, team_client, ann,
                                                               django_capture_on_commit_callbacks):
    answer = compose(team_client, ann, text="/help").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = team_client.post("/webhooks/whatsapp/", data=answer["body"], content_type="application/json",
                                    HTTP_X_HUB_SIGNATURE_256=answer["signature"])
    assert response.status_code == 200
    assert Message.objects.get(direction="in").text == "/help"


def test_a_photo_is_kept_as_graph_keeps_media_and_sent_as_an_image_message(sandbox, team_client, ann):
    upload = SimpleUploadedFile("receipt.png", PNG, content_type="image/png")
    answer = team_client.post(f"/sandbox/people/{ann.pk}/compose/", {"file": upload, "caption": "lunch"}).json()
    [message] = parse_body(answer["body"].encode()).messages
    media = SandboxMedia.objects.get()
    assert message.type == "image" and message.media_id == media.media_id and message.text == "lunch"
    assert message.media_sha256 == media.sha256 and bytes(media.content) == PNG


def upload(team_client, person, name, content, content_type, **data):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return team_client.post(f"/sandbox/people/{person.pk}/compose/", {"file": file, **data})


def test_an_ogg_recording_is_sent_as_a_voice_note_as_whatsapp_sends_one(sandbox, team_client, ann):
    answer = upload(team_client, ann, "note.ogg", b"OggS fake opus", "audio/ogg").json()
    [message] = parse_body(answer["body"].encode()).messages
    assert message.type == "audio" and message.media_voice
    assert message.media_mime_type == "audio/ogg; codecs=opus"


def test_other_audio_is_an_audio_file_under_the_name_meta_gives_it(sandbox, team_client, ann):
    answer = upload(team_client, ann, "memo.m4a", b"....ftypM4A", "audio/x-m4a").json()  # what Chrome says
    [message] = parse_body(answer["body"].encode()).messages
    assert message.type == "audio" and not message.media_voice and message.media_mime_type == "audio/mp4"
    assert upload(team_client, ann, "a.wav", b"RIFF", "audio/wav").status_code == 400  # not in Meta's list


def test_a_pdf_is_a_document_and_is_downloaded_never_shown_inline(sandbox, team_client, ann):
    answer = upload(team_client, ann, "invoice.pdf", b"%PDF-1.4 fake", "application/pdf", caption="March").json()
    team_client.post("/webhooks/whatsapp/", data=answer["body"], content_type="application/json",
                     HTTP_X_HUB_SIGNATURE_256=answer["signature"])
    [message] = parse_body(answer["body"].encode()).messages
    assert message.type == "document" and message.media_filename == "invoice.pdf" and message.text == "March"
    response = team_client.get(f"/sandbox/media/{message.media_id}/")
    assert response.status_code == 200 and response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_media_is_shown_only_to_those_who_may_chat_as_its_sender(sandbox, team_client, client, ann):
    answer = upload(team_client, ann, "receipt.png", PNG, "image/png").json()
    team_client.post("/webhooks/whatsapp/", data=answer["body"], content_type="application/json",
                     HTTP_X_HUB_SIGNATURE_256=answer["signature"])
    media_id = SandboxMedia.objects.get().media_id
    assert team_client.get(f"/sandbox/media/{media_id}/").content == PNG  # a manager
    colleague = User.objects.create_user(username="sam", phone_number="+15550100002", role=User.Role.STAFF,
                                         is_staff=True)
    client.force_login(colleague)
    assert client.get(f"/sandbox/media/{media_id}/").status_code == 404


def test_the_page_names_the_local_model_server_without_what_its_url_may_carry(sandbox, team_client):
    sandbox.OPENAI_BASE_URL = "http://user:s3cret-key@ollama.local:11434/v1?api-key=s3cret-key"
    sandbox.OPENAI_MODEL = "llama3.1"
    page = team_client.get("/sandbox/").content.decode()
    assert "AI replies on: llama3.1 at ollama.local" in page and "s3cret-key" not in page


def test_a_file_whatsapp_would_not_send_gets_a_clear_answer(sandbox, team_client, ann):
    upload = SimpleUploadedFile("cat.gif", b"GIF89a", content_type="image/gif")
    response = team_client.post(f"/sandbox/people/{ann.pk}/compose/", {"file": upload})
    assert response.status_code == 400 and "image/gif" in response.json()["error"]
    assert not SandboxMedia.objects.exists()


def test_a_button_tap_answers_the_message_that_had_the_buttons(sandbox, team_client, ann):
    answer = compose(team_client, ann, button={"id": "confirm:yes:7", "title": "Yes"},
                     replying_to="wamid.question").json()
    [message] = parse_body(answer["body"].encode()).messages
    assert message.type == "interactive" and message.context_wamid == "wamid.question"
    assert message.data["id"] == "confirm:yes:7" and message.text == "Yes"


def test_compose_refuses_nobody_and_empty_messages(sandbox, team_client, ann):
    stranger = User.objects.create_user(username="x", first_name="No number")
    assert compose(team_client, stranger, text="hi").status_code == 404
    assert compose(team_client, ann, text="   ").status_code == 400
    assert compose(team_client, ann, text="x" * 4097).status_code == 400


def test_the_feed_shows_both_sides_with_their_ticks_and_reply_buttons(sandbox, team_client, ann,
                                                                     django_capture_on_commit_callbacks):
    answer = compose(team_client, ann, text="delete expense 3").json()
    team_client.post("/webhooks/whatsapp/", data=answer["body"], content_type="application/json",
                     HTTP_X_HUB_SIGNATURE_256=answer["signature"])
    inbound = Message.objects.get(direction="in")
    buttons = {"type": "button", "body": {"text": "Delete expense #3?"},
               "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                                      {"type": "reply", "reply": {"id": "no", "title": "No"}}]}}
    Message.objects.create(conversation=inbound.conversation, direction="out", type="interactive",
                           text="Delete expense #3?", status="delivered", timestamp=inbound.timestamp,
                           wamid="wamid.q", payload={"type": "interactive", "interactive": buttons})
    SandboxDelivery.objects.create(kind="read", wamid=inbound.wamid, phone_number_id="1", payload={})

    feed = team_client.get(f"/sandbox/people/{ann.pk}/feed/").json()
    mine, theirs = feed["messages"]
    assert (mine["direction"], mine["text"], mine["ticks"]) == ("in", "delete expense 3", "read")
    assert (theirs["direction"], theirs["ticks"], theirs["wamid"]) == ("out", "delivered", "wamid.q")
    assert theirs["buttons"] == [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}]
    assert feed["window_open"] is True


# --- with a real worker on a real broker (CELERY_BROKER_URL) --------------------------------------
@pytest.mark.slow
@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_the_reply_and_its_three_statuses_arrive(celery_worker, served, ann):
    hello = phone.message_webhook(wa_id="15550102030", profile_name="Ann Lee", message=phone.text("hello"))
    assert post_webhook(served.url, hello).status_code == 200

    deadline = time.monotonic() + 30
    while not Message.objects.filter(direction="out", status="read").exists():
        assert time.monotonic() < deadline, list(Message.objects.values_list("direction", "status"))
        time.sleep(0.1)
    worker_idle()
    reply = Message.objects.get(direction="out")
    assert SandboxDelivery.objects.filter(kind="message").count() == 1  # answered once
    assert sorted(reply.statuses.values_list("status", flat=True)) == ["delivered", "read", "sent"]


def test_a_status_left_over_from_sandbox_mode_is_never_posted_once_real_credentials_are_in(sandbox, graph, db):
    delivery = SandboxDelivery.objects.create(kind="message", wamid="wamid.old", phone_number_id="1",
                                              to="+15550102030", type="text", payload={})
    sandbox.WHATSAPP_ACCESS_TOKEN = "EAAG-a-real-token"
    sandbox.WHATSAPP_APP_SECRET = "the-real-app-secret"
    services.status_post(delivery_id=delivery.pk, status="read")  # no request, nothing signed
    assert graph.requests == []
