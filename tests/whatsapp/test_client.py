"""The Graph API client: protocol bodies, the bearer token, the 4096 split, typed errors, media."""

import json
import os

import pytest
import requests
import responses

from tests.fakes.graph import BASE_URL, PHONE_NUMBER_ID, VERSION, graph_error, send_fixture
from whatsapp.catalogue.components import template_components
from whatsapp.outbound.client import (
    GraphClient,
    MediaTooLarge,
    document_payload,
    media_filled,
    media_limit,
    template_payload,
)
from whatsapp.outbound.errors import (
    GraphError,
    GraphPermanentError,
    GraphRateLimited,
    GraphRetryableError,
    OperatorActionRequired,
    WindowClosed,
)
from whatsapp.outbound.text import TEXT_LIMIT, split_text

TOKEN = "test-access-token"  # set by the autouse channel_settings fixture
MESSAGES_URL = f"{BASE_URL}/{VERSION}/{PHONE_NUMBER_ID}/messages"
# A Graph host of its own for tests that script media answers by hand (the shared fake owns BASE_URL).
MEDIA_GRAPH = "http://graph-media.fake"
CDN = "http://lookaside.fake"


@pytest.fixture
def client():
    return GraphClient()


@pytest.fixture
def media_client():
    return GraphClient(base_url=MEDIA_GRAPH)


def message_posts(graph):
    return [r for r in graph.requests if r.method == "POST" and r.url.endswith("/messages")]


def expected_from_fixture(name: str, **replacements) -> dict:
    """A request fixture with its placeholders filled in."""
    text = json.dumps(send_fixture(name))
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


# --- sending text --------------------------------------------------------------------------------
def test_send_text_posts_exactly_the_protocol_body(client, graph):
    client.send_text("+16505551234", "text-message-content")
    (body,) = graph.sent()
    assert body == expected_from_fixture("req_text", **{"{{Recipient-Phone-Number}}": "+16505551234"})
    assert body["to"].startswith("+")


def test_send_text_posts_to_the_messages_url_of_our_phone_number(client, graph):
    client.send_text("+16505551234", "hello")
    (request,) = message_posts(graph)
    assert request.url == MESSAGES_URL


def test_send_text_posts_to_another_business_number_when_told(client, graph):
    client.send_message({"to": "+16505551234", "type": "text", "text": {"body": "hi"}}, phone_number_id="999")
    (request,) = message_posts(graph)
    assert request.url == f"{BASE_URL}/{VERSION}/999/messages"


def test_every_request_carries_the_bearer_token(client, graph):
    client.send_text("+16505551234", "hello")
    client.mark_read("wamid.x")
    assert [r.headers["Authorization"] for r in graph.requests] == [f"Bearer {TOKEN}"] * 2


def test_the_token_is_never_on_the_sessions_default_headers(client, graph):
    client.send_text("+16505551234", "hello")
    assert "Authorization" not in client.session.headers
    assert TOKEN not in json.dumps(dict(client.session.headers))


def test_send_text_returns_the_wamid_graph_answered(client, graph):
    success = send_fixture("resp_success")
    graph.fail_next((200, success))
    assert client.send_text("+16505551234", "hello") == [success["messages"][0]["id"]]


def test_a_reply_to_context_goes_on_the_first_part_only(client, graph):
    body = ("a" * 4000 + ".\n\n") + "b" * 100
    client.send_text("+16505551234", body, reply_to="wamid.original")
    first, second = graph.sent("text")
    assert first["context"] == {"message_id": "wamid.original"}
    assert "context" not in second


def test_a_body_over_4096_characters_goes_out_as_ordered_parts_cut_at_paragraphs(client, graph):
    # Any two of these together are over the limit, so each paragraph is a message of its own.
    paragraphs = ["First paragraph. " + "x" * 3000, "Second paragraph. " + "y" * 3000, "Third. " + "z" * 3000]
    ids = client.send_text("+16505551234", "\n\n".join(paragraphs))
    assert graph.texts() == paragraphs
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(len(text) <= TEXT_LIMIT for text in graph.texts())


def test_a_body_over_4096_characters_without_paragraphs_is_cut_at_a_sentence_end(client, graph):
    sentence = "This is one sentence of the answer. "
    body = (sentence * 200).strip()  # 7199 characters, one paragraph
    client.send_text("+16505551234", body)
    texts = graph.texts()
    assert len(texts) == 2
    assert all(len(text) <= TEXT_LIMIT for text in texts)
    assert texts[0].endswith("answer.") and texts[1].startswith("This is")
    assert " ".join(texts) == body


# --- split_text ----------------------------------------------------------------------------------
def test_split_text_leaves_a_short_body_whole():
    assert split_text("Hello there.") == ["Hello there."]


def test_split_text_cuts_at_the_last_paragraph_break_in_range():
    body = "a" * 30 + "\n\n" + "b" * 30 + "\n\n" + "c" * 30
    assert split_text(body, limit=70) == ["a" * 30 + "\n\n" + "b" * 30, "c" * 30]


def test_split_text_cuts_at_a_sentence_end_when_there_is_no_paragraph_break():
    body = "One two three. Four five six! Seven eight nine? Ten eleven twelve."
    parts = split_text(body, limit=40)
    assert parts == ["One two three. Four five six!", "Seven eight nine? Ten eleven twelve."]


def test_split_text_prefers_a_paragraph_to_a_later_sentence_end():
    body = "Short para.\n\nA sentence. Another sentence here. And more."
    assert split_text(body, limit=45)[0] == "Short para."


def test_split_text_cuts_inside_a_word_only_when_there_is_no_boundary_at_all():
    body = "x" * 10000
    parts = split_text(body)
    assert [len(p) for p in parts] == [4096, 4096, 1808]
    assert "".join(parts) == body


def test_split_text_cuts_at_a_space_when_there_is_no_sentence_end():
    body = " ".join(["word"] * 20)  # 99 characters
    parts = split_text(body, limit=50)
    assert all(len(p) <= 50 for p in parts)
    assert " ".join(parts) == body
    assert all(not p.startswith("ord") for p in parts)


def test_split_text_keeps_every_part_within_the_limit_and_in_order():
    body = "\n\n".join(f"Paragraph {i}. " + "Sentence here. " * 50 for i in range(20))
    parts = split_text(body)
    assert len(parts) > 1
    assert all(0 < len(p) <= TEXT_LIMIT for p in parts)
    # Nothing lost, nothing reordered: only whitespace at the cuts goes.
    assert "".join(body.split()) == "".join("".join(parts).split())


# --- templates and read receipts -----------------------------------------------------------------
def test_send_template_posts_the_protocol_body(client, graph):
    client.send_template("+16505551234", "hello_world", "en_US")
    (body,) = graph.sent()
    expected = expected_from_fixture("req_template_hello_world", **{"{{Recipient-Phone-Number}}": "+16505551234"})
    assert body == {**expected, "recipient_type": "individual"}


def test_send_template_includes_components_when_given(client, graph):
    components = [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]
    client.send_template("+16505551234", "order_update", "en_GB", components)
    (body,) = graph.sent("template")
    assert body["template"] == {"name": "order_update", "language": {"code": "en_GB"}, "components": components}


def test_mark_read_with_typing_indicator_posts_the_protocol_body(client, graph):
    wamid = send_fixture("req_typing_indicator_and_read")["message_id"]
    client.mark_read(wamid, typing=True)
    assert graph.read_receipts() == [send_fixture("req_typing_indicator_and_read")]
    assert message_posts(graph)[0].url == MESSAGES_URL


def test_mark_read_without_typing_sends_a_plain_read_receipt(client, graph):
    client.mark_read("wamid.x", typing=False)
    expected = expected_from_fixture("req_mark_as_read")
    assert graph.read_receipts() == [{**expected, "message_id": "wamid.x"}]


# --- typed errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_without_a_code_is_retryable(client, graph, status):
    graph.fail_next((status, {}))
    with pytest.raises(GraphRetryableError) as caught:
        client.send_text("+16505551234", "hello")
    assert caught.value.http_status == status and caught.value.code is None


def test_a_5xx_with_a_body_that_is_not_json_is_retryable(graph):
    graph.mock.add(responses.POST, f"{MEDIA_GRAPH}/{VERSION}/{PHONE_NUMBER_ID}/messages",
                   body="<html>Bad gateway</html>", status=502, content_type="text/html")
    with pytest.raises(GraphRetryableError):
        GraphClient(base_url=MEDIA_GRAPH).send_text("+16505551234", "hello")


def test_a_5xx_whose_json_is_not_an_object_is_retryable(graph):
    graph.fail_next((502, "Bad gateway"))
    with pytest.raises(GraphRetryableError):
        GraphClient().send_text("+16505551234", "hello")


@pytest.mark.parametrize("exc", [requests.ConnectTimeout(), requests.ReadTimeout(), requests.ConnectionError()],
                         ids=["connect-timeout", "read-timeout", "connection-error"])
def test_timeouts_and_connection_errors_are_retryable(client, graph, exc):
    graph.fail_next(exc)
    with pytest.raises(GraphRetryableError):
        client.send_text("+16505551234", "hello")


def test_requests_are_made_with_connect_and_read_timeouts(client, settings):
    assert client.timeout == (settings.WHATSAPP_CONNECT_TIMEOUT, settings.WHATSAPP_READ_TIMEOUT)
    assert all(t > 0 for t in client.timeout)


@pytest.mark.parametrize("code", [1, 2, 4, 80007, 130429, 131000])
def test_transient_and_throughput_codes_are_retryable(client, graph, code):
    graph.fail_next(graph_error(code))
    with pytest.raises(GraphRetryableError) as caught:
        client.send_text("+16505551234", "hello")
    assert caught.value.code == code
    assert caught.value.retryable is True
    assert not isinstance(caught.value, GraphRateLimited)


@pytest.mark.parametrize("fixture", ["resp_error_130429", "resp_error_80007"])
def test_the_real_rate_limit_answers_are_retryable(client, graph, fixture):
    graph.fail_next(fixture)
    with pytest.raises(GraphRetryableError):
        client.send_text("+16505551234", "hello")


def test_too_many_messages_to_one_person_is_the_pair_rate_limit(client, graph):
    graph.fail_next(graph_error(131056, "(#131056) Pair rate limit hit"))
    with pytest.raises(GraphRateLimited) as caught:
        client.send_text("+16505551234", "hello")
    assert caught.value.retryable is True and caught.value.code == 131056


def test_131047_is_window_closed_and_not_retryable(client, graph):
    graph.fail_next("resp_error_131047_thirdparty")
    with pytest.raises(WindowClosed) as caught:
        client.send_text("+16505551234", "hello")
    assert caught.value.retryable is False
    assert caught.value.code == 131047
    assert caught.value.details.startswith("Message failed to send because more than 24 hours")


@pytest.mark.parametrize("code", [131026, 131051, 100])
def test_undeliverable_unsupported_and_bad_parameter_are_permanent(client, graph, code):
    graph.fail_next(graph_error(code))
    with pytest.raises(GraphPermanentError) as caught:
        client.send_text("+16505551234", "hello")
    assert caught.value.retryable is False
    assert not isinstance(caught.value, OperatorActionRequired)


def test_an_expired_token_needs_an_operator(client, graph):
    graph.fail_next(graph_error(190, "Error validating access token", http_status=401))
    with pytest.raises(OperatorActionRequired) as caught:
        client.send_text("+16505551234", "hello")
    assert caught.value.retryable is False and caught.value.code == 190


def test_the_code_decides_not_the_http_status_a_400_rate_limit_is_retryable(client, graph):
    graph.fail_next(graph_error(130429, http_status=400))
    with pytest.raises(GraphRetryableError):
        client.send_text("+16505551234", "hello")


def test_the_code_decides_not_the_http_status_a_500_with_a_permanent_code_is_permanent(client, graph):
    graph.fail_next(graph_error(131026, http_status=500))
    with pytest.raises(GraphPermanentError):
        client.send_text("+16505551234", "hello")


def test_a_graph_error_keeps_code_title_details_status_and_trace_id(client, graph):
    graph.fail_next(graph_error(131026, "Message undeliverable", http_status=400, details="Not on WhatsApp"))
    with pytest.raises(GraphPermanentError) as caught:
        client.send_text("+16505551234", "hello")
    error = caught.value
    assert (error.code, error.title, error.details, error.http_status, error.fbtrace_id) == (
        131026, "Message undeliverable", "Not on WhatsApp", 400, "Atest")


# --- media ---------------------------------------------------------------------------------------
def media_lookup(graph, media_id: str, url: str, *, size: int, mime: str = "image/jpeg"):
    info = {**send_fixture("resp_media_get"), "id": media_id, "url": url, "file_size": str(size), "mime_type": mime}
    graph.mock.add(responses.GET, f"{MEDIA_GRAPH}/{VERSION}/{media_id}", json=info)


def test_download_media_looks_the_media_up_then_fetches_the_url_graph_returned(media_client, graph):
    content = b"\xff\xd8jpeg bytes"
    media_lookup(graph, "2621233374848975", f"{CDN}/v/t62/abc?ext=1", size=len(content))
    graph.mock.add(responses.GET, f"{CDN}/v/t62/abc?ext=1", body=content)
    media = media_client.download_media("2621233374848975")
    assert media.read() == content
    assert media.mime_type == "image/jpeg"
    assert media.file_size == len(content)
    assert [(r.method, r.url) for r in graph.requests] == [
        ("GET", f"{MEDIA_GRAPH}/{VERSION}/2621233374848975"),
        ("GET", f"{CDN}/v/t62/abc?ext=1"),
    ]


def test_the_bearer_token_is_sent_to_the_media_url_graph_returned(media_client, graph):
    media_lookup(graph, "m1", f"{CDN}/file/m1", size=3)
    graph.mock.add(responses.GET, f"{CDN}/file/m1", body=b"abc")
    media_client.download_media("m1")
    download = graph.requests[-1]
    assert download.url == f"{CDN}/file/m1"
    assert download.headers["Authorization"] == f"Bearer {TOKEN}"


def test_download_media_through_the_shared_fake(client, graph):
    graph.add_media("img-1", b"PNGDATA", "image/png")
    media = client.download_media("img-1")
    assert (media.read(), media.mime_type) == (b"PNGDATA", "image/png")


def test_a_download_is_streamed_to_a_file_on_disk(media_client, graph):
    content = b"%PDF-1.4 " + b"x" * 300_000
    media_lookup(graph, "doc", f"{CDN}/file/doc", size=len(content), mime="application/pdf")
    graph.mock.add(responses.GET, f"{CDN}/file/doc", body=content)
    with media_client.download_media("doc", kind="document") as media:
        assert os.fstat(media.file.fileno()).st_size == len(content) == media.file_size
        assert media.file.tell() == 0 and media.read() == content


def test_each_media_type_has_metas_size_limit():
    assert [media_limit(kind) for kind in ("audio", "document", "image", "video", "sticker")] == [
        16 * 1024 * 1024, 100 * 1024 * 1024, 5 * 1024 * 1024, 16 * 1024 * 1024, 500 * 1024]
    assert media_limit("something new") == 100 * 1024 * 1024


def test_a_photo_over_5_mb_is_refused_where_a_document_that_large_is_not(media_client, graph):
    six_mb = 6 * 1024 * 1024
    media_lookup(graph, "photo", f"{CDN}/file/photo", size=six_mb)
    with pytest.raises(MediaTooLarge) as caught:
        media_client.download_media("photo", kind="image")
    assert (caught.value.size, caught.value.limit, caught.value.kind) == (six_mb, 5 * 1024 * 1024, "image")
    media_lookup(graph, "pdf", f"{CDN}/file/pdf", size=six_mb, mime="application/pdf")
    graph.mock.add(responses.GET, f"{CDN}/file/pdf", body=b"%PDF-1.4 small")
    assert media_client.download_media("pdf", kind="document").read() == b"%PDF-1.4 small"


def test_media_declared_larger_than_the_cap_is_refused_without_downloading(media_client, graph):
    media_lookup(graph, "big", f"{CDN}/file/big", size=10_000)
    with pytest.raises(MediaTooLarge):
        media_client.download_media("big", max_bytes=1_000)
    assert [r.url for r in graph.requests] == [f"{MEDIA_GRAPH}/{VERSION}/big"]


def test_media_larger_than_the_cap_while_streaming_is_refused(media_client, graph):
    media_lookup(graph, "liar", f"{CDN}/file/liar", size=10)  # declares 10 bytes, sends 5,000
    graph.mock.add(responses.GET, f"{CDN}/file/liar", body=b"x" * 5_000)
    with pytest.raises(MediaTooLarge):
        media_client.download_media("liar", max_bytes=1_000)


def test_media_too_large_is_a_permanent_error(media_client, graph):
    media_lookup(graph, "big", f"{CDN}/file/big", size=10_000)
    with pytest.raises(GraphPermanentError):
        media_client.download_media("big", max_bytes=1_000)


def test_a_404_on_download_asks_graph_for_a_fresh_url_once(media_client, graph):
    media_lookup(graph, "m2", f"{CDN}/file/m2?expired", size=4)
    graph.mock.add(responses.GET, f"{CDN}/file/m2?expired", status=404, body="Not Found")
    media_lookup(graph, "m2", f"{CDN}/file/m2?fresh", size=4)
    graph.mock.add(responses.GET, f"{CDN}/file/m2?fresh", body=b"data")
    assert media_client.download_media("m2").read() == b"data"
    assert [r.url for r in graph.requests] == [
        f"{MEDIA_GRAPH}/{VERSION}/m2", f"{CDN}/file/m2?expired",
        f"{MEDIA_GRAPH}/{VERSION}/m2", f"{CDN}/file/m2?fresh",
    ]


def test_a_second_404_on_download_gives_up(media_client, graph):
    for attempt in ("a", "b", "c"):
        media_lookup(graph, "m3", f"{CDN}/file/m3?{attempt}", size=4)
        graph.mock.add(responses.GET, f"{CDN}/file/m3?{attempt}", status=404, body="Not Found")
    with pytest.raises(GraphPermanentError) as caught:
        media_client.download_media("m3")
    assert caught.value.http_status == 404
    lookups = [r for r in graph.requests if r.url == f"{MEDIA_GRAPH}/{VERSION}/m3"]
    assert len(lookups) == 2


def test_an_unknown_media_id_is_a_permanent_error(client, graph):
    with pytest.raises(GraphPermanentError) as caught:
        client.download_media("no-such-media")
    assert caught.value.code == 100


# --- uploading and sending a document ------------------------------------------------------------
def test_upload_media_posts_the_file_as_a_multipart_form_to_our_numbers_media_url(client, graph):
    media_id = client.upload_media(b"%PDF-1.7 bytes", mime_type="application/pdf", filename="INV-2026-0012.pdf")
    (upload,) = graph.uploads()
    assert upload == {"messaging_product": "whatsapp", "type": "application/pdf", "content": b"%PDF-1.7 bytes",
                      "filename": "INV-2026-0012.pdf", "content_type": "application/pdf"}
    (request,) = [r for r in graph.requests if r.url.endswith("/media")]
    assert request.url == f"{BASE_URL}/{VERSION}/{PHONE_NUMBER_ID}/media"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert graph.media[media_id] == (b"%PDF-1.7 bytes", "application/pdf")


def test_a_refused_upload_is_a_typed_error_like_a_refused_send(client, graph):
    graph.fail_next_upload(graph_error(131000, "Something went wrong", http_status=500))
    with pytest.raises(GraphRetryableError):
        client.upload_media(b"%PDF", mime_type="application/pdf", filename="a.pdf")
    graph.fail_next_upload(graph_error(190, "Token expired", http_status=401))
    with pytest.raises(OperatorActionRequired):
        client.upload_media(b"%PDF", mime_type="application/pdf", filename="a.pdf")


def test_an_upload_answered_without_a_media_id_is_an_error(client, graph):
    graph.fail_next_upload((200, {"success": True}))
    with pytest.raises(GraphError, match="no media id"):
        client.upload_media(b"%PDF", mime_type="application/pdf", filename="a.pdf")


def test_a_document_names_the_uploaded_media_its_file_name_and_caption(client, graph):
    payload = media_filled(document_payload("+16505551234", filename="INV-2026-0012.pdf", caption="Your invoice"),
                           "4490709327384033")
    client.send_message(payload)
    (body,) = graph.sent("document")
    assert body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+16505551234",
                    "type": "document", "document": {"id": "4490709327384033", "filename": "INV-2026-0012.pdf",
                                                     "caption": "Your invoice"}}


def test_a_templates_document_header_gets_the_uploaded_media():
    components = template_components(body=["Ann"], header_document={"id": "", "filename": "INV-2026-0012.pdf"})
    payload = template_payload("+16505551234", "invoice_issued", "en_US", components)
    assert media_filled(payload, "77")["template"]["components"] == [
        {"type": "header", "parameters": [{"type": "document", "document": {"id": "77",
                                                                            "filename": "INV-2026-0012.pdf"}}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ann"}]},
    ]
