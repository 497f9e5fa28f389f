"""Outbound documents: the file is kept on the queued message, uploaded to Graph's media endpoint
when it is sent, then sent as a document, or, outside the 24-hour window, as the template that
carries it in its DOCUMENT header."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fakes.graph import PHONE_NUMBER_ID, graph_error
from tests.whatsapp.test_outbound import HOUR, conversation_with, due_now, fields, reengagement  # noqa: F401
from whatsapp.models import ChannelAlert, Message
from whatsapp.outbound.failed import outbound_failed_later
from whatsapp.outbound.queue import TemplateInstead, document_queue, held_release
from whatsapp.outbound.sender import outbound_send

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n% an invoice\n"
INVOICE_TEMPLATE = TemplateInstead(name="invoice_issued", language="en_US",
                                   body=("Lena", "INV-2026-0012", "EUR 1,428.00", "2026-12-09"),
                                   text="Invoice INV-2026-0012 (template)")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, catalogue):
    """Files under a temporary MEDIA_ROOT; the project's templates (invoice_issued too) approved."""
    settings.MEDIA_ROOT = tmp_path


def queue_document(conversation, *, template=INVOICE_TEMPLATE, caption="Invoice INV-2026-0012") -> Message:
    return document_queue(conversation=conversation, content=PDF, filename="INV-2026-0012.pdf", caption=caption,
                          template=template)


def test_inside_the_window_the_file_is_uploaded_then_sent_as_a_document(graph):
    conversation = conversation_with()
    message = queue_document(conversation)
    assert outbound_send(conversation_id=conversation.pk) is None

    (upload,) = graph.uploads()
    assert (upload["content"], upload["type"], upload["filename"]) == (PDF, "application/pdf", "INV-2026-0012.pdf")
    (document,) = graph.sent("document")
    media_id = document["document"]["id"]
    assert graph.media[media_id][0] == PDF
    assert document["to"] == "+16505551234"
    assert document["document"] == {"id": media_id, "filename": "INV-2026-0012.pdf",
                                     "caption": "Invoice INV-2026-0012"}
    assert graph.sent("template") == []
    assert fields(message, "status", "type", "media_id", "media_filename") == (
        "sent", "document", media_id, "INV-2026-0012.pdf")
    assert message.wamid.startswith("wamid.fake")


def test_outside_the_window_the_template_carries_the_file_in_its_document_header(graph):
    conversation = conversation_with(last_inbound_ago=25 * HOUR)
    message = queue_document(conversation)
    outbound_send(conversation_id=conversation.pk)

    (upload,) = graph.uploads()
    assert upload["content"] == PDF
    assert graph.sent("document") == []
    (template,) = graph.sent("template")
    media_id = template["template"]["components"][0]["parameters"][0]["document"]["id"]
    assert graph.media[media_id][0] == PDF
    assert template["template"] == {"name": "invoice_issued", "language": {"code": "en_US"}, "components": [
        {"type": "header", "parameters": [{"type": "document", "document": {"id": media_id,
                                                                            "filename": "INV-2026-0012.pdf"}}]},
        {"type": "body", "parameters": [{"type": "text", "text": value} for value in INVOICE_TEMPLATE.body]},
    ]}
    # What the person reads, from the catalogue's text.
    assert fields(message, "status", "type", "text") == ("sent", "template", (
        "[document: INV-2026-0012.pdf]\nHello Lena, here is invoice INV-2026-0012 for EUR 1,428.00, due on 2026-12-09. "
        "Reply to this message if you have any questions."))


def test_a_131047_answer_to_the_document_sends_its_template_with_the_same_upload(graph):
    conversation = conversation_with()
    message = queue_document(conversation)
    graph.fail_next("resp_error_131047_thirdparty")
    outbound_send(conversation_id=conversation.pk)
    assert [b["type"] for b in graph.sent()] == ["document", "template"]
    assert len(graph.uploads()) == 1
    assert fields(message, "status", "type") == ("sent", "template")


def test_a_document_meta_fails_later_with_131047_goes_once_as_its_template_with_the_same_upload(graph):
    conversation = conversation_with()
    message = queue_document(conversation)
    outbound_send(conversation_id=conversation.pk)
    wamid = Message.objects.get(pk=message.pk).wamid
    Message.objects.filter(pk=message.pk).update(status="failed", error_code=131047, error_title="Re-engagement")
    message.refresh_from_db()

    outbound_failed_later(message=message)
    outbound_failed_later(message=message)  # the task ran twice
    outbound_send(conversation_id=conversation.pk)

    (document,) = graph.sent("document")
    (template,) = graph.sent("template")
    assert template["template"]["components"][0]["parameters"][0]["document"] == {
        "id": document["document"]["id"], "filename": "INV-2026-0012.pdf"}
    assert len(graph.uploads()) == 1
    assert fields(message, "status", "type", "error_code") == ("sent", "template", None)
    assert message.wamid != wamid and message.data["document_failed"]["wamid"] == wamid


def test_without_a_template_a_closed_window_holds_the_document_until_the_person_writes(graph, reengagement):
    conversation = conversation_with(last_inbound_ago=25 * HOUR)
    message = queue_document(conversation, template=None)
    outbound_send(conversation_id=conversation.pk)
    assert graph.uploads() == [] and graph.sent("document") == []
    assert [b["template"]["name"] for b in graph.sent("template")] == ["welcome_back"]
    assert fields(message, "status") == ("held",)

    conversation.last_inbound_at = timezone.now()
    conversation.save()
    held_release(conversation=conversation)
    outbound_send(conversation_id=conversation.pk)
    assert len(graph.sent("document")) == 1
    assert fields(message, "status") == ("sent",)


def test_a_refused_upload_is_retried_and_a_refused_send_does_not_upload_again(graph):
    conversation = conversation_with()
    message = queue_document(conversation)
    graph.fail_next_upload(graph_error(131000, "Something went wrong", http_status=500))
    assert outbound_send(conversation_id=conversation.pk) > 0
    assert fields(message, "status", "error_code") == ("queued", 131000)
    assert graph.sent() == []

    due_now(message)
    graph.fail_next(graph_error(131000, "Something went wrong", http_status=500))
    outbound_send(conversation_id=conversation.pk)
    due_now(message)
    outbound_send(conversation_id=conversation.pk)
    assert len(graph.uploads()) == 2  # the refused one, then the one both sends named
    first, second = graph.sent("document")
    assert first["document"]["id"] == second["document"]["id"]
    assert fields(message, "status") == ("sent",)


def test_a_file_uploaded_longer_ago_than_graph_keeps_it_is_uploaded_again(graph):
    conversation = conversation_with()
    message = queue_document(conversation)
    old = (timezone.now() - timedelta(days=30)).isoformat()
    Message.objects.filter(pk=message.pk).update(media_id="4242", data={**message.data, "media_uploaded_at": old})
    outbound_send(conversation_id=conversation.pk)
    (document,) = graph.sent("document")
    assert document["document"]["id"] != "4242" and len(graph.uploads()) == 1


def test_a_document_whose_file_is_gone_fails_with_the_reason_and_the_next_message_still_goes(graph):
    conversation = conversation_with()
    message = queue_document(conversation)
    later = queue_document(conversation, caption="again")
    message.media_file.storage.delete(message.media_file.name)
    outbound_send(conversation_id=conversation.pk)
    assert fields(message, "status", "error_title") == ("failed", "File missing")
    assert fields(later, "status") == ("sent",)


def test_a_document_meta_failed_for_the_token_is_sent_again_with_its_file(graph):
    conversation = conversation_with()
    message = queue_document(conversation)
    outbound_send(conversation_id=conversation.pk)
    Message.objects.filter(pk=message.pk).update(status="failed", error_code=190, error_title="Token expired")
    message.refresh_from_db()
    outbound_failed_later(message=message)
    copy = Message.objects.get(data__resend_of=message.pk)
    assert (copy.type, copy.media_file.name, copy.media_filename) == ("document", message.media_file.name,
                                                                       "INV-2026-0012.pdf")
    ChannelAlert.objects.update(last_seen_at=timezone.now() - HOUR)  # the pause is over
    due_now(copy)
    outbound_send(conversation_id=conversation.pk)
    assert fields(copy, "status") == ("sent",)
    assert [d["document"]["filename"] for d in graph.sent("document")] == ["INV-2026-0012.pdf"] * 2


def test_the_upload_goes_to_the_conversations_business_number(graph):
    conversation = conversation_with()
    queue_document(conversation)
    outbound_send(conversation_id=conversation.pk)
    (request,) = [r for r in graph.requests if r.url.endswith("/media")]
    assert f"/{PHONE_NUMBER_ID}/media" in request.url
