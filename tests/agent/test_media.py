"""Voice notes, receipt photos, PDFs and the other message types, through the real webhook."""

import base64

import pytest

from accounts.models import User
from agent.models import AgentTurn, Expense
from whatsapp.models import Message

VOICE_ID = "1234567890987654321"  # messages__audio_voice_note.json
IMAGE_ID = "1003383421387256"  # messages__image.json
DOCUMENT_ID = "1234567890987654321"  # messages__document.json
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00receipt-pixels\xff\xd9"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf_with_text(text: str) -> bytes:
    """A small, valid one-page PDF whose text pypdf extracts."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_voice_note_is_transcribed_stored_and_handled_as_text(fake_openai, staff, say, graph):
    graph.add_media(VOICE_ID, b"OggS-voice", "audio/ogg")
    fake_openai.transcript = "spent 42.50 on fuel yesterday"
    fake_openai.call(("record_expense", {"gross": "42.50", "category": "fuel"}))
    fake_openai.reply("Saved.")
    say(kind="audio_voice_note")
    message = Message.objects.get(type="audio")
    assert message.transcript == "spent 42.50 on fuel yesterday"
    assert b"OggS-voice" in fake_openai.transcription_requests[0]
    assert fake_openai.chat_requests[0]["messages"][-1] == {"role": "user", "content": "spent 42.50 on fuel yesterday"}
    assert Expense.objects.get().source_message == message


def test_a_failed_transcription_asks_to_type_it_and_is_recorded(fake_openai, staff, say, graph):
    graph.add_media(VOICE_ID, b"OggS-voice", "audio/ogg")
    fake_openai.transcription_status = 500
    say(kind="audio_voice_note")
    assert graph.texts() == ["Sorry, I couldn't listen to that voice note. Could you type it instead?"]
    assert "transcription failed" in AgentTurn.objects.get().error
    assert fake_openai.chat_requests == []
    assert Message.objects.get(type="audio").transcript == ""


def test_a_voice_note_that_cannot_be_downloaded_asks_to_type_it_and_is_recorded(fake_openai, staff, say, graph):
    say(kind="audio_voice_note")  # the Graph fake knows no such media: 404
    assert graph.texts() == ["Sorry, I couldn't listen to that voice note. Could you type it instead?"]
    assert AgentTurn.objects.get().error.startswith("media:")
    assert fake_openai.transcription_requests == [] and fake_openai.chat_requests == []


def test_a_photo_over_metas_5_mb_is_refused_with_a_reply_that_says_so(fake_openai, staff, say, graph):
    graph.add_media(IMAGE_ID, JPEG + b"\0" * (6 * 1024 * 1024), "image/jpeg")
    say(kind="image", caption="lunch receipt")
    assert graph.texts() == ["That file is too large for me (6.0 MB): photos can be up to 5 MB. Could you send a "
                             "smaller one, or type the details?"]
    assert fake_openai.chat_requests == []
    assert not Message.objects.get(type="image").media_file  # never downloaded
    assert AgentTurn.objects.get().error.startswith("media: too large")


def test_a_receipt_photo_reaches_the_model_as_an_image_part(fake_openai, staff, say, graph):
    graph.add_media(IMAGE_ID, JPEG, "image/jpeg")
    say(kind="image", caption="lunch receipt")
    content = fake_openai.chat_requests[0]["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "[Photo] lunch receipt"}
    assert content[1]["type"] == "image_url"
    assert content[1]["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()


def test_a_receipt_photo_becomes_an_expense_with_the_photo_attached(fake_openai, staff, say, graph):
    graph.add_media(IMAGE_ID, JPEG, "image/jpeg")
    fake_openai.call(("record_expense", {"gross": "18.90", "category": "meals", "merchant": "Trattoria",
                                         "spent_on": "2026-01-15"}))
    fake_openai.reply("Saved the receipt.")
    say(kind="image", caption="")
    expense = Expense.objects.get()
    assert expense.merchant == "Trattoria" and str(expense.spent_on) == "2026-01-15"
    with expense.receipt.open("rb") as handle:
        assert handle.read() == JPEG
    assert fake_openai.tool_results(1)[0]["saved"]["has_receipt"] is True


def test_a_pdfs_text_reaches_the_model(fake_openai, manager, say, graph):
    graph.add_media(DOCUMENT_ID, pdf_with_text("Supplier invoice total 99.00 EUR"), "application/pdf")
    say(kind="document", sender="972987654321", caption="from our supplier")
    content = fake_openai.chat_requests[0]["messages"][-1]["content"]
    assert content.startswith("from our supplier\n\n[PDF filename.pdf]")
    assert "Supplier invoice total 99.00 EUR" in content


def test_a_pdf_that_cannot_be_read_gets_a_clear_answer(fake_openai, manager, say, graph):
    graph.add_media(DOCUMENT_ID, b"%PDF-1.4 not really", "application/pdf")
    say(kind="document", sender="972987654321")
    assert graph.texts() == ["Sorry, I couldn't open that file. Could you send it again, or type the details?"]
    assert fake_openai.chat_requests == []
    assert AgentTurn.objects.get().error


@pytest.mark.parametrize("kind, words", [
    ("location", "location"), ("contacts", "contact"), ("sticker_animated", "expenses"), ("video", "videos"),
])
def test_other_message_types_get_a_short_answer_without_the_model(fake_openai, staff, say, graph, kind, words):
    say(kind=kind)
    [text] = graph.texts()
    assert words in text and len(text) < 200
    assert fake_openai.chat_requests == []


def test_a_reaction_gets_no_answer(fake_openai, staff, say, graph):
    say(kind="reaction")
    assert graph.sent() == []
    assert fake_openai.chat_requests == []


def test_a_photo_that_cannot_be_downloaded_gets_a_clear_answer_and_is_recorded(fake_openai, staff, say, graph):
    say(kind="image")  # the Graph fake knows no such media
    assert graph.texts() == ["Sorry, I couldn't open that file. Could you send it again, or type the details?"]
    assert AgentTurn.objects.get().error.startswith("media:")
    assert fake_openai.chat_requests == []


def test_a_supplier_pdf_becomes_an_expense_with_the_pdf_attached(fake_openai, manager, say, graph):
    pdf = pdf_with_text("Office Supplies Ltd total 59.50")
    graph.add_media(DOCUMENT_ID, pdf, "application/pdf")
    fake_openai.call(("record_expense", {"gross": "59.50", "category": "office", "merchant": "Office Supplies Ltd"}))
    fake_openai.reply("Saved.")
    say(kind="document", sender="972987654321")
    expense = Expense.objects.get()
    assert (expense.merchant, expense.submitted_by) == ("Office Supplies Ltd", manager)
    with expense.receipt.open("rb") as handle:
        assert handle.read() == pdf


def test_a_receipt_photo_asked_about_first_is_attached_when_the_expense_is_recorded_later(
        fake_openai, staff, say, graph):
    graph.add_media(IMAGE_ID, JPEG, "image/jpeg")
    fake_openai.reply("What was this for?")
    say(kind="image", caption="")
    fake_openai.call(("record_expense", {"gross": "18.90", "category": "meals",
                                         "receipt_from_earlier_message": True}))
    fake_openai.reply("Saved, with the receipt.")
    say("lunch with a client")
    expense = Expense.objects.get()
    with expense.receipt.open("rb") as handle:
        assert handle.read() == JPEG
    assert expense.source_message == Message.objects.get(type="image")


def test_an_earlier_receipt_is_attached_once_and_only_when_the_model_says_so(fake_openai, staff, say, graph):
    graph.add_media(IMAGE_ID, JPEG, "image/jpeg")
    fake_openai.call(("record_expense", {"gross": "18.90", "category": "meals"}))
    fake_openai.reply("Saved.")
    say(kind="image", caption="")  # recorded with its own photo
    fake_openai.call(("record_expense", {"gross": "4.00", "category": "meals"}),
                     ("record_expense", {"gross": "5.00", "category": "meals", "receipt_from_earlier_message": True}))
    fake_openai.reply("Saved both.")
    say("and two coffees, 4 and 5")
    with_receipt = {str(e.gross): bool(e.receipt) for e in Expense.objects.all()}
    assert with_receipt == {"18.90": True, "4.00": False, "5.00": False}  # that photo is already used


def test_an_earlier_receipt_is_only_ever_the_senders_own(fake_openai, staff, say, graph):
    """The number changed hands: the photo its previous owner sent is not the new owner's receipt."""
    graph.add_media(IMAGE_ID, JPEG, "image/jpeg")
    fake_openai.reply("What was this for?")
    say(kind="image", caption="")
    staff.phone_number = "+16505559999"  # the old owner moved to another number
    staff.save()
    User.objects.create_user(username="new-owner", phone_number="+16505551234", role=User.Role.STAFF)
    fake_openai.call(("record_expense", {"gross": "18.90", "category": "meals",
                                         "receipt_from_earlier_message": True}))
    fake_openai.reply("Saved.")
    say("lunch")
    expense = Expense.objects.get()
    assert expense.submitted_by.username == "new-owner" and not expense.receipt
