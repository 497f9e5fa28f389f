"""Every message type Meta sends, posted through the real view, stored with its meaningful content."""

import json
from datetime import datetime, timezone

import pytest

from tests.conftest import FIXTURES, as_body, messages_of, webhook_fixture, webhook_json
from whatsapp.models import Conversation, Message

pytestmark = pytest.mark.django_db

MESSAGE_FIXTURES = sorted(p.stem for p in (FIXTURES / "webhook").glob("messages__*.json"))


def stored(signed_post, body: bytes) -> Message:
    response = signed_post(body)
    assert response.status_code == 200, response.content
    return Message.objects.get(direction="in")


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def with_message(name: str, **fields) -> bytes:
    document = webhook_json(name)
    for message in messages_of(document):
        message.update(fields)
    return as_body(document)


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_every_message_fixture_is_stored_once_with_its_raw_json(signed_post, name):
    message = stored(signed_post, webhook_fixture(name))
    (raw,) = messages_of(webhook_json(name))
    assert message.raw == raw
    assert message.wamid == raw["id"]
    assert message.type == raw["type"]
    assert message.timestamp == at(int(raw["timestamp"]))
    assert message.webhook_event is not None


def test_it_stores_a_text(signed_post):
    message = stored(signed_post, webhook_fixture("messages__text"))
    assert message.type == "text"
    assert message.text == "Does it come in another color?"
    assert message.wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    assert message.timestamp == at(1749416383)
    assert message.conversation.wa_id == "16505551234"
    assert message.conversation.phone_number_id == "106540352242922"
    assert message.conversation.profile_name == "Sheena Nelson"


def test_it_stores_a_voice_note_with_its_media(signed_post):
    message = stored(signed_post, webhook_fixture("messages__audio_voice_note"))
    assert message.type == "audio"
    assert message.media_voice is True
    assert message.media_id == "1234567890987654321"
    assert message.media_mime_type == "audio/ogg; codecs=opus"
    assert message.media_sha256 == "m04pFf2ERdaopTyFkGPA0+bX3i+YY2dYgVFwOgDLSDI="


def test_it_stores_an_audio_file_that_is_not_a_voice_note(signed_post):
    body = with_message("messages__audio_voice_note",
                        audio={"mime_type": "audio/mpeg", "sha256": "abc=", "id": "555"})
    message = stored(signed_post, body)
    assert message.media_voice is False
    assert (message.media_id, message.media_mime_type) == ("555", "audio/mpeg")


def test_it_stores_an_image_with_its_caption(signed_post):
    message = stored(signed_post, webhook_fixture("messages__image"))
    assert message.type == "image"
    assert message.text == "Taj Mahal"
    assert message.media_id == "1003383421387256"
    assert message.media_mime_type == "image/jpeg"
    assert message.media_sha256 == "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="
    assert message.media_voice is False


def test_it_stores_a_video_with_its_caption(signed_post):
    message = stored(signed_post, webhook_fixture("messages__video"))
    assert message.type == "video"
    assert message.text == "caption"
    assert message.media_id == "765756756"
    assert message.media_mime_type == "video/mp4"
    assert message.media_sha256 == "Jh+2ij6PzUv/J2y+grrtegr/ZMzRxkEPwc24Oyib4s03w9Jc="


def test_it_stores_a_document_with_its_filename_and_caption(signed_post):
    message = stored(signed_post, webhook_fixture("messages__document"))
    assert message.type == "document"
    assert message.media_filename == "filename.pdf"
    assert message.text == "caption"
    assert message.media_id == "1234567890987654321"
    assert message.media_mime_type == "application/pdf"
    assert message.media_sha256 == "grwfwe/ZPx0wAbdfbdeFUNItPZ0RylL8gGUvdt3YFqc18SY="


def test_it_stores_an_animated_sticker(signed_post):
    message = stored(signed_post, webhook_fixture("messages__sticker_animated"))
    assert message.type == "sticker"
    assert message.media_id == "1908647269898587"
    assert message.media_mime_type == "image/webp"
    assert message.media_sha256 == "wvqXMe6n7n1W0zphvLPoLj+s/NtKqmr3zZ7YzTP7xFI="
    assert message.data["animated"] is True
    assert message.data["url"].startswith("https://lookaside.fbsbx.com/")


def test_it_stores_a_location(signed_post):
    message = stored(signed_post, webhook_fixture("messages__location"))
    assert message.type == "location"
    assert message.data["latitude"] == pytest.approx(37.44221496582)
    assert message.data["longitude"] == pytest.approx(-122.16165924072)
    assert message.data["name"] == "Philz Coffee"
    assert message.data["address"] == "101 Forest Ave, Palo Alto, CA 94301"
    assert message.text == "Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301"


def test_it_stores_shared_contacts(signed_post):
    message = stored(signed_post, webhook_fixture("messages__contacts"))
    assert message.type == "contacts"
    (card,) = message.data["contacts"]
    assert card["name"]["formatted_name"] == "Lucía Gómez"
    assert card["phones"][0]["wa_id"] == "19835552319"
    assert message.text == "Lucía Gómez +1 (983) 555-2319"


def test_it_stores_the_id_and_title_of_a_button_reply(signed_post):
    message = stored(signed_post, webhook_fixture("messages__interactive_button_reply"))
    assert message.type == "interactive"
    assert message.data["reply_type"] == "button_reply"
    assert message.data["id"] == "cancel-button"
    assert message.data["title"] == "Cancel"
    assert message.text == "Cancel"
    assert message.context_wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA"


def test_it_stores_the_id_and_title_of_a_list_reply(signed_post):
    message = stored(signed_post, webhook_fixture("messages__interactive_list_reply"))
    assert message.type == "interactive"
    assert message.data["reply_type"] == "list_reply"
    assert message.data["id"] == "priority_express"
    assert message.data["title"] == "Priority Mail Express"
    assert message.data["description"] == "Next Day to 2 Days"
    assert message.text == "Priority Mail Express"


def test_it_stores_a_template_quick_reply_button(signed_post):
    message = stored(signed_post, webhook_fixture("messages__button_template_quick_reply"))
    assert message.type == "button"
    assert message.data["payload"] == "Unsubscribe"
    assert message.data["text"] == "Unsubscribe"
    assert message.text == "Unsubscribe"
    assert message.context_wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA"


def test_it_stores_a_reaction_with_its_target_and_emoji(signed_post):
    message = stored(signed_post, webhook_fixture("messages__reaction"))
    assert message.type == "reaction"
    assert message.data["message_id"] == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA"
    assert message.data["emoji"] == "👍"
    assert message.data["removed"] is False


def test_it_stores_a_reaction_with_an_empty_emoji_as_removed(signed_post):
    body = with_message("messages__reaction", reaction={
        "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA", "emoji": ""})
    message = stored(signed_post, body)
    assert message.data["message_id"] == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA"
    assert message.data["emoji"] == ""
    assert message.data["removed"] is True


def test_it_stores_a_reaction_without_an_emoji_as_removed(signed_post):
    body = with_message("messages__reaction", reaction={"message_id": "wamid.target"})
    message = stored(signed_post, body)
    assert message.data["removed"] is True
    assert message.data["message_id"] == "wamid.target"


def test_it_stores_the_message_replied_to_and_the_product_asked_about(signed_post):
    message = stored(signed_post, webhook_fixture("messages__context_product_inquiry"))
    assert message.text == "Is this still available?"
    assert message.context_wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA"
    assert message.data["context"]["from"] == "15550783881"
    assert message.data["context"]["referred_product"] == {
        "catalog_id": "194836987003835", "product_retailer_id": "di9ozbzfi4"}


def test_it_stores_that_a_message_was_forwarded(signed_post):
    message = stored(signed_post, webhook_fixture("messages__video"))
    assert message.data["context"] == {"forwarded": True}
    assert message.context_wamid == ""


def test_it_stores_the_ad_referral_of_a_click_to_whatsapp_message(signed_post):
    message = stored(signed_post, webhook_fixture("messages__referral_ctwa_ad"))
    assert message.text == "Hello! Can I get more info on this?"
    assert message.referral == messages_of(webhook_json("messages__referral_ctwa_ad"))[0]["referral"]
    assert message.referral["source_type"] == "ad"
    assert message.referral["ctwa_clid"].startswith("Aff-n8ZTODiE79d22")


def test_it_stores_a_system_message_about_a_changed_number(signed_post):
    message = stored(signed_post, webhook_fixture("messages__system_user_changed_number"))
    assert message.type == "system"
    assert message.data["type"] == "user_changed_number"
    assert message.data["wa_id"] == "12195555358"
    assert message.text == "User Sheena Nelson changed from 16505551234 to 12195555358"
    assert message.conversation.wa_id == "12195555358"  # the conversation follows the person (whatsapp.identity)


def test_it_stores_an_unsupported_message_with_meta_s_error(signed_post):
    message = stored(signed_post, webhook_fixture("messages__unsupported"))
    assert message.type == "unsupported"
    assert message.data["errors"][0]["code"] == 131051
    assert message.data["errors"][0]["title"] == "Message type unknown"


def test_it_stores_an_order_whole(signed_post):
    message = stored(signed_post, webhook_fixture("messages__order"))
    assert message.type == "order"
    assert message.data["catalog_id"] == "194836987003835"
    assert [item["product_retailer_id"] for item in message.data["product_items"]] == ["di9ozbzfi4", "nqryix03ez"]
    assert message.data["product_items"][0]["quantity"] == 2


def test_it_stores_a_type_nobody_has_heard_of_as_such(signed_post):
    hologram = {"id": "holo-1", "shape": "cube", "body": "a spinning cube"}
    body = with_message("messages__text", type="hologram", hologram=hologram)
    message = stored(signed_post, body)
    assert message.type == "hologram"
    assert message.data["shape"] == "cube"
    assert message.text == "a spinning cube"
    assert message.raw["hologram"] == hologram


def test_it_stores_a_type_whose_content_is_not_an_object(signed_post):
    body = with_message("messages__text", type="hologram", hologram=["a", "b"])
    message = stored(signed_post, body)
    assert message.type == "hologram"
    assert message.data["content"] == ["a", "b"]


def test_it_keeps_the_profile_name_up_to_date(signed_post):
    signed_post(webhook_fixture("messages__text"))
    document = webhook_json("messages__text")
    value = document["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["profile"]["name"] = "Sheena N. Okafor"
    value["messages"][0].update(id="wamid.second", timestamp="1749416999")
    assert signed_post(as_body(document)).status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.profile_name == "Sheena N. Okafor"
    assert conversation.messages.count() == 2


def test_a_system_message_without_contacts_keeps_the_profile_name(signed_post):
    signed_post(webhook_fixture("messages__text"))
    assert signed_post(webhook_fixture("messages__system_user_changed_number")).status_code == 200
    assert Conversation.objects.get().profile_name == "Sheena Nelson"


def test_it_keeps_the_raw_json_of_the_message_byte_for_byte_in_the_event(signed_post):
    body = webhook_fixture("messages__contacts")
    message = stored(signed_post, body)
    assert bytes(message.webhook_event.body) == body
    assert json.loads(bytes(message.webhook_event.body)) == webhook_json("messages__contacts")
