"""What the person sent, as something the model can read: text, a transcript, an image, a PDF's text."""

from dataclasses import dataclass

from django.conf import settings

from agent.media import image_data_url, media_bytes, media_download, pdf_text, transcribe
from whatsapp.models import Message


@dataclass
class UserContent:
    text: str
    image_url: str = ""  # a data: URL for a photo
    kind: str = "text"

    def as_openai(self) -> str | list:
        if not self.image_url:
            return self.text
        parts = [{"type": "text", "text": self.text}] if self.text else []
        return parts + [{"type": "image_url", "image_url": {"url": self.image_url,
                                                            "detail": settings.AGENT_IMAGE_DETAIL}}]


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
        data = media_bytes(message)
        caption = message.text or "(a photo without a caption)"
        return UserContent(text=f"[Photo] {caption}", image_url=image_data_url(data, message.media_mime_type),
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
        return f"[Photo] {message.text}".strip()
    if message.type == "audio":
        return message.transcript or "[Voice note]"
    if message.type == "document":
        return f"[Document {message.media_filename}] {message.text}".strip()
    if message.type == "template":
        return message.text
    return message.text or f"[{message.type}]"
