"""Whatever a signed body holds, intake answers 200 (every readable item stored, every other one noted
on the event with its reason) or 400 (not a WhatsApp webhook; the body kept), never 500.

One regression test per crash an independent fuzz run found (issue 11), through the real view;
they run on SQLite (the ORM path) and on PostgreSQL (the one-statement path) alike.
"""

import json

import pytest

from tests.conftest import as_body, fresh, messages_of, webhook_json
from tests.whatsapp.test_statuses import conversation, outbound  # noqa: F401 (fixtures)
from whatsapp import payloads
from whatsapp.models import ChannelAlert, Conversation, Message, StatusUpdate, WebhookEvent

pytestmark = pytest.mark.django_db


def text_body(**fields) -> dict:
    """Meta's text sample from Sheena, sent now, as a document to change."""
    document = json.loads(fresh("messages__text"))
    messages_of(document)[0].update(fields)
    return document


def value_of(document: dict) -> dict:
    return document["entry"][0]["changes"][0]["value"]


def with_second_message(document: dict, **fields) -> dict:
    """The document with a second message (its own id) beside the first, `fields` replaced in it."""
    first = messages_of(document)[0]
    value_of(document)["messages"].append({**first, "id": "wamid.second", **fields})
    return document


def posted(signed_post, body: bytes, status: int = 200) -> WebhookEvent:
    response = signed_post(body)
    assert response.status_code == status, response.content
    event = WebhookEvent.objects.order_by("-id").first()
    assert bytes(event.body) == body
    return event


# --- nesting --------------------------------------------------------------------------------------
def test_a_body_nested_a_hundred_thousand_levels_is_kept_and_answered_400(signed_post):
    body = b'{"object": "whatsapp_business_account", "entry": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    event = posted(signed_post, body, 400)
    assert event.status == "rejected"
    assert event.error == "nested deeper than 64 levels"


def test_deep_nesting_inside_a_message_is_refused_as_a_whole_and_the_body_kept(signed_post):
    body = as_body(text_body(deep="@@")).replace(b'"@@"', b"[" * 5000 + b"]" * 5000)
    event = posted(signed_post, body, 400)
    assert event.status == "rejected" and Message.objects.count() == 0


def test_nesting_as_deep_as_meta_could_send_is_stored_whole(signed_post):
    nested = "leaf"
    for _ in range(25):  # 50 levels inside a message: more than Meta nests, less than the limit
        nested = {"inner": [nested]}
    posted(signed_post, as_body(text_body(extra=nested)))
    assert Message.objects.get().raw["extra"] == nested


# --- timestamps -----------------------------------------------------------------------------------
@pytest.mark.parametrize("timestamp, literal", [
    ("99999999999999999999", None),
    ("1e400", None),
    (None, "NaN"),
    (None, "Infinity"),
    (None, "-Infinity"),
    ("-1", None),
    (-86400, None),
    (10**30, None),
    ("abc", None),
    (True, None),
    ({"seconds": 1}, None),
])
def test_a_message_with_an_impossible_timestamp_is_noted_and_the_others_stored(signed_post, timestamp, literal):
    document = with_second_message(text_body(), timestamp=timestamp if literal is None else "@@")
    body = as_body(document).replace(b'"@@"', (literal or "").encode())
    event = posted(signed_post, body)
    assert event.status == "processed"
    assert event.error.startswith("message 'wamid.second': timestamp ")
    assert Message.objects.get().text == "Does it come in another color?"


# --- types ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("where, wrong", [
    ("entry item", "a string"),
    ("changes", {"field": "messages"}),
    ("change", 7),
    ("value", ["a", "list"]),
    ("messages", "hello"),
    ("message", ["not", "an", "object"]),
    ("contacts", 12),
    ("statuses", {"id": "x"}),
    ("errors", "broken"),
    ("metadata", "a string"),
    ("text", {"body": {"nested": True}}),
    ("profile", "Sheena"),
])
def test_a_part_of_another_type_is_noted_and_nothing_crashes(signed_post, where, wrong):
    document = json.loads(fresh("messages__text"))
    entry, value = document["entry"][0], value_of(document)
    if where == "entry item":
        document["entry"].append(wrong)
    elif where == "changes":
        document["entry"].append({"id": "2", "changes": wrong})
    elif where == "change":
        entry["changes"].append(wrong)
    elif where == "value":
        entry["changes"].append({"field": "messages", "value": wrong})
    elif where == "message":
        value["messages"].append(wrong)
    elif where == "text":
        value["messages"][0]["text"] = wrong
    elif where == "profile":
        value["contacts"][0]["profile"] = wrong
    else:
        value[where] = wrong
    event = posted(signed_post, as_body(document))
    assert event.status == "processed"
    if where in ("messages", "message"):
        assert "not" in event.error
    else:
        assert Message.objects.count() == 1


def test_an_error_code_that_is_not_a_number_raises_an_alert_with_code_0(signed_post):
    document = webhook_json("errors__value_level")
    value_of(document)["errors"][0]["code"] = "abc"
    posted(signed_post, as_body(document))
    assert ChannelAlert.objects.get().code == 0


def test_a_failed_status_with_an_unreadable_code_fails_the_message_without_a_code(signed_post, outbound):
    document = webhook_json("statuses__failed")
    status = value_of(document)["statuses"][0]
    status.update(id=outbound.wamid, timestamp="1750000100")
    status["errors"][0]["code"] = "abc"
    posted(signed_post, as_body(document))
    outbound.refresh_from_db()
    assert (outbound.status, outbound.error_code) == ("failed", None)
    assert outbound.error_title == status["errors"][0]["title"]


@pytest.mark.parametrize("errors", ["a string", {"code": 131026}, [None], [["x"]], [{"code": 10**12}]])
def test_a_failed_status_with_errors_of_any_shape_is_applied(signed_post, outbound, errors):
    document = webhook_json("statuses__failed")
    status = value_of(document)["statuses"][0]
    status.update(id=outbound.wamid, timestamp="1750000100", errors=errors)
    posted(signed_post, as_body(document))
    outbound.refresh_from_db()
    assert outbound.status == "failed"
    assert StatusUpdate.objects.get().errors == (errors if isinstance(errors, list) else None)


# --- text of any Unicode --------------------------------------------------------------------------
def test_a_lone_surrogate_is_stored_as_a_replacement_character_and_kept_in_the_raw_body(signed_post):
    body = as_body(text_body(text={"body": "caf\ud800 ok"}))
    assert b"\\ud800" in body  # escaped, as Meta sends non-ASCII text
    event = posted(signed_post, body)
    message = Message.objects.get()
    assert message.text == "caf\ufffd ok"
    assert message.raw["text"] == {"body": "caf\ufffd ok"}
    assert event.status == "processed"


def test_a_nul_character_in_text_keys_and_names_is_replaced(signed_post):
    document = text_body(text={"body": "a\u0000b"})
    messages_of(document)[0]["key\u0000"] = "value\u0000"
    value_of(document)["contacts"][0]["profile"]["name"] = "Shee\u0000na"
    posted(signed_post, as_body(document))
    message = Message.objects.get()
    assert message.text == "a\ufffdb"
    assert message.raw["key\ufffd"] == "value\ufffd"
    assert message.conversation.profile_name == "Shee\ufffdna"


def test_bytes_that_are_not_utf8_are_replaced_and_the_message_stored(signed_post):
    body = as_body(text_body(text={"body": "@@"})).replace(b"@@", b"caf\xe9 \xed\xa0\x80")
    event = posted(signed_post, body)
    assert Message.objects.get().text.startswith("caf\ufffd ")
    assert bytes(event.body) == body


def test_values_jsonb_refuses_are_stored_as_text(signed_post):
    """NaN and Infinity are not JSON; PostgreSQL's jsonb refused them, and a number too big for a float."""
    body = as_body(text_body(referral={"score": "@1", "big": "@2", "huge": "@3"}))
    body = body.replace(b'"@1"', b"NaN").replace(b'"@2"', b"1e400").replace(b'"@3"', b"9" * 5000)
    posted(signed_post, body)
    assert Message.objects.get().referral == {"score": "NaN", "big": "1e400", "huge": "9" * 5000}


# --- sizes ----------------------------------------------------------------------------------------
def test_a_300_character_profile_name_is_cut_to_its_column_and_kept_whole_in_the_raw_body(signed_post):
    document = text_body()
    value_of(document)["contacts"][0]["profile"]["name"] = "N" * 300
    event = posted(signed_post, as_body(document))
    assert Conversation.objects.get().profile_name == "N" * 256
    assert ("N" * 300).encode() in bytes(event.body)


def test_an_id_longer_than_its_column_is_stored_as_a_key_of_its_own_and_deduplicated(signed_post):
    long_id = "wamid." + "A" * 1000
    body = as_body(text_body(id=long_id, context={"id": long_id + "B"}))
    posted(signed_post, body)
    posted(signed_post, body)  # Meta delivers it again
    message = Message.objects.get()
    assert len(message.wamid) == 255 and message.wamid.startswith("wamid.AAA")
    assert message.raw["id"] == long_id
    assert len(message.context_wamid) == 255 and message.context_wamid != message.wamid


def test_a_business_scoped_user_id_of_the_longest_kind_is_stored_whole(signed_post):
    bsuid = "US.ENT." + "1" * 128
    document = text_body(from_user_id=bsuid)
    del messages_of(document)[0]["from"]
    del value_of(document)["contacts"][0]["wa_id"]
    posted(signed_post, as_body(document))
    assert Conversation.objects.get().bsuid == bsuid == Conversation.objects.get().contact_key


def test_a_long_text_and_a_long_error_title_are_stored(signed_post, outbound):
    posted(signed_post, as_body(text_body(text={"body": "x" * 1_000_000})))
    assert len(Message.objects.get(direction="in").text) == 1_000_000
    document = webhook_json("statuses__failed")
    status = value_of(document)["statuses"][0]
    status.update(id=outbound.wamid, timestamp="1750000100")
    status["errors"][0]["title"] = "T" * 1000
    posted(signed_post, as_body(document))
    outbound.refresh_from_db()
    assert outbound.error_title == "T" * 255


def test_items_beyond_the_batch_limit_are_noted_not_read(signed_post, monkeypatch):
    monkeypatch.setattr(payloads, "MAX_ITEMS", 2)
    document = text_body()
    for n in range(3):
        with_second_message(document, id=f"wamid.more{n}")
    event = posted(signed_post, as_body(document))
    assert Message.objects.count() == 2
    assert event.error == "2 items beyond the first 2 not read (kept in the raw body)"


# --- what is not a WhatsApp webhook at all ----------------------------------------------------------
@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'{"object": "page", "entry": []}',
                                  b'{"object": "whatsapp_business_account", "entry": "x"}', b"\xff\xfe\x00"])
def test_a_body_that_is_not_a_whatsapp_webhook_is_kept_and_answered_400(signed_post, body):
    event = posted(signed_post, body, 400)
    assert event.status == "rejected" and event.error


def test_the_parser_fits_values_to_the_columns_they_go_to():
    from whatsapp.payloads import Size

    columns = {
        "PHONE_NUMBER_ID": [Conversation._meta.get_field("phone_number_id"),
                            StatusUpdate._meta.get_field("phone_number_id")],
        "WA_ID": [Conversation._meta.get_field("wa_id")],
        "BSUID": [Conversation._meta.get_field("bsuid"), Conversation._meta.get_field("contact_key")],
        "PROFILE_NAME": [Conversation._meta.get_field("profile_name")],
        "WAMID": [Message._meta.get_field("wamid"), Message._meta.get_field("context_wamid"),
                  StatusUpdate._meta.get_field("wamid")],
        "TYPE": [Message._meta.get_field("type")],
        "MEDIA_ID": [Message._meta.get_field("media_id")],
        "MEDIA_MIME_TYPE": [Message._meta.get_field("media_mime_type")],
        "MEDIA_SHA256": [Message._meta.get_field("media_sha256")],
        "MEDIA_FILENAME": [Message._meta.get_field("media_filename")],
        "STATUS": [StatusUpdate._meta.get_field("status")],
        "RECIPIENT_ID": [StatusUpdate._meta.get_field("recipient_id")],
        "ERROR_TITLE": [Message._meta.get_field("error_title"), ChannelAlert._meta.get_field("title")],
    }
    assert {name: [field.max_length for field in fields] for name, fields in columns.items()} == {
        name: [getattr(Size, name)] * len(fields) for name, fields in columns.items()}


@pytest.mark.parametrize("field", ["type", "wa_id", "user_id"])
def test_a_number_change_notice_with_a_list_where_text_belongs_is_stored_whole(signed_post, field):
    """Found by the property test: a `system` notice whose type, new number or new BSUID is a list
    crashed the identity change, and the body fell back to being kept raw."""
    document = json.loads(fresh("messages__system_user_changed_number"))
    value_of(document)["messages"][0]["system"][field] = [["x"]]
    event = posted(signed_post, as_body(document))
    assert event.status == "processed" and not event.error
    assert Message.objects.get().type == "system"
    moved = Conversation.objects.get()
    # Only a notice that says the number changed, and to which number, moves the conversation.
    assert (moved.wa_id == "12195555358") == (field == "user_id")
    assert moved.bsuid == ""
