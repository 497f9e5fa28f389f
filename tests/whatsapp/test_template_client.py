"""The Graph client's template endpoints against the fake at the HTTP boundary: the account's
catalogue page after page, creating a template, uploading a media header's example."""

import pytest

from tests.fakes.graph import BASE_URL, WABA_ID
from whatsapp.outbound.client import GraphClient
from whatsapp.outbound.errors import GraphPermanentError, GraphRetryableError


def test_every_page_of_the_catalogue_is_read(graph):
    for n in range(5):
        graph.add_template(f"template_{n}")
    listed = list(GraphClient().templates_list(page_size=2))
    assert [t["name"] for t in listed] == [f"template_{n}" for n in range(5)]
    assert len(graph.template_pages()) == 3


def test_pages_are_asked_for_at_graph_with_the_cursor_never_at_the_next_url_meta_returns(graph):
    for n in range(3):
        graph.add_template(f"template_{n}")
    list(GraphClient().templates_list(page_size=2))
    first, second = graph.template_pages()
    assert first.startswith(f"{BASE_URL}/v25.0/{WABA_ID}/message_templates?")
    assert "fields=id%2Cname%2Cstatus%2Ccategory%2Clanguage%2Ccomponents%2Cquality_score" in first
    assert second.startswith(f"{BASE_URL}/") and "after=2" in second
    assert all(r.headers["Authorization"] == "Bearer test-access-token" for r in graph.requests)


def test_an_empty_catalogue_is_one_page(graph):
    assert list(GraphClient().templates_list()) == []
    assert len(graph.template_pages()) == 1


def test_a_failing_page_is_a_graph_error_to_retry(graph):
    graph.mock.replace("GET", f"{BASE_URL}/v25.0/{WABA_ID}/message_templates", status=503,
                       json={"error": {"message": "Service temporarily unavailable", "code": 2}})
    with pytest.raises(GraphRetryableError):
        list(GraphClient().templates_list())


def test_a_created_template_answers_its_id_and_status(graph):
    answer = GraphClient().template_create({"name": "reply_waiting", "language": "en_US", "category": "UTILITY",
                                            "components": [{"type": "BODY", "text": "Hello!"}]})
    assert answer["status"] == "PENDING" and answer["category"] == "UTILITY" and answer["id"]
    assert graph.created()[0]["name"] == "reply_waiting"


def test_a_name_that_exists_in_that_language_is_refused_with_meta_s_words(graph):
    graph.add_template("reply_waiting")
    with pytest.raises(GraphPermanentError) as refused:
        GraphClient().template_create({"name": "reply_waiting", "language": "en_US", "category": "UTILITY",
                                       "components": [{"type": "BODY", "text": "Hello!"}]})
    assert (refused.value.code, refused.value.subcode) == (100, 2388024)
    assert "There is already English (US) content for this template" in refused.value.details


def test_a_media_header_s_example_is_uploaded_in_one_piece_and_answers_its_handle(graph):
    handle = GraphClient().example_upload(b"%PDF-1.4 sample", "application/pdf")
    assert handle == "4::fake-handle-1"
    session, upload = graph.requests
    assert "file_length=15" in session.url and "file_type=application%2Fpdf" in session.url
    assert upload.headers["file_offset"] == "0" and upload.body == b"%PDF-1.4 sample"
