"""What the person sent, as something the model can read: text, a transcript, a photo (to be read), a PDF's text."""

from dataclasses import dataclass

from agent.media import image_data_url, media_bytes, media_download, pdf_text, transcribe
from agent.photos import photo_reading, photo_text
from whatsapp.models import Message


@dataclass
class UserContent:
    text: str
    # A photo still to be read, as a data: URL: read in a request of its own (agent.photos), never sent
    # in the turn's requests, which carry `text` only.
    image_url: str = ""
    kind: str = "text"


def user_content(message: Message) -> UserContent | None:
    """None for types the assistant does not read (location, stickers, video...).

    Raises agent.media.MediaUnavailable when media cannot be downloaded or read.
    """
    kind = message.type
    if kind == "text":
        return UserContent(text=message.text)
    if kind in ("interactive", "button"):
        return UserContent(text=message.text or str(message.data.get("title") or message.data.get("text") or ""))
    if kind == "audio":
        return UserContent(text=transcribe(message), kind="voice")
    if kind == "image":
        if photo_reading(message) is not None:  # read already (the turn is retried): not read again
            return UserContent(text=photo_text(message), kind="image")
        data = media_bytes(message)
        return UserContent(text=photo_text(message), image_url=image_data_url(data, message.media_mime_type),
                           kind="image")
    if kind == "document" and "pdf" in (message.media_mime_type or "").lower():
        media_download(message)
        with message.media_file.open("rb") as pdf:
            text = pdf_text(pdf)
        name = message.media_filename or "document.pdf"
        caption = f"{message.text}\n\n" if message.text else ""
        body = text or "(no text could be extracted: it may be a scan)"
        return UserContent(text=f"{caption}[PDF {name}]\n{body}", kind="pdf")
    return None


def history_text(message: Message) -> str:
    """How an earlier message reads in the prompt's history (no media is sent again)."""
    if message.type == "image":
        return photo_text(message)
    if message.type == "audio":
        return message.transcript or "[Voice note]"
    if message.type == "document":
        return f"[Document {message.media_filename}] {message.text}".strip()
    if message.type == "template":
        return message.text
    return message.text or f"[{message.type}]"
