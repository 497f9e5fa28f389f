"""Media the person sent: download once through the Graph client, transcribe, read PDFs."""

import base64
import io
import logging
import mimetypes

from django.conf import settings
from django.core.files.base import ContentFile
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from agent.llm import openai_client
from whatsapp.models import Message
from whatsapp.outbound.client import GraphClient
from whatsapp.outbound.errors import GraphError

logger = logging.getLogger(__name__)

EXTENSIONS = {"audio/ogg": ".ogg", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
              "application/pdf": ".pdf", "video/mp4": ".mp4"}


class MediaUnavailable(Exception):
    """The media could not be downloaded or read; the person is asked to try another way."""


def receipt_file(message: Message | None) -> tuple[str, bytes] | None:
    """(file name, bytes) of the photo or PDF a message carries, already downloaded; else None."""
    if message is None or message.type not in ("image", "document") or not message.media_file:
        return None
    with message.media_file.open("rb") as handle:
        return message.media_file.name.rsplit("/", 1)[-1], handle.read()


def _extension(mime_type: str) -> str:
    base = (mime_type or "").split(";")[0].strip()
    return EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ".bin"


def media_bytes(message: Message, *, client: GraphClient | None = None) -> bytes:
    """The media of `message`, downloaded on first use and kept on the message (media_file)."""
    if message.media_file:
        with message.media_file.open("rb") as handle:
            return handle.read()
    if message.media_removed_at:
        raise MediaUnavailable("the file was removed (retention)")
    if not message.media_id:
        raise MediaUnavailable("message has no media")
    try:
        media = (client or GraphClient()).download_media(message.media_id)
    except GraphError as exc:
        logger.warning("Media %s of message %s could not be downloaded: %s", message.media_id, message.pk, exc)
        raise MediaUnavailable(str(exc)) from exc
    name = message.media_filename or f"{message.type}-{message.pk}{_extension(message.media_mime_type)}"
    message.media_file.save(name, ContentFile(media.content), save=False)
    Message.objects.filter(pk=message.pk).update(media_file=message.media_file.name)
    return media.content


def transcribe(message: Message) -> str:
    """Speech to text for a voice note (WhatsApp sends ogg/opus); kept on the message."""
    if message.transcript:
        return message.transcript
    data = media_bytes(message)
    try:
        result = openai_client().audio.transcriptions.create(
            model=settings.OPENAI_TRANSCRIBE_MODEL, file=("voice.ogg", data, "audio/ogg")
        )
    except Exception as exc:  # openai.APIError and friends: recorded, the person types instead
        logger.warning("Transcription of message %s failed: %s", message.pk, exc)
        raise MediaUnavailable(f"transcription failed: {type(exc).__name__}") from exc
    text = (getattr(result, "text", "") or "").strip()
    if not text:
        raise MediaUnavailable("the transcript was empty")
    message.transcript = text
    Message.objects.filter(pk=message.pk).update(transcript=text)
    return text


def image_data_url(data: bytes, mime_type: str) -> str:
    mime = (mime_type or "image/jpeg").split(";")[0].strip()
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def pdf_text(data: bytes, *, max_chars: int | None = None) -> str:
    """The text of a PDF (pypdf), cut to a size the prompt can take."""
    max_chars = max_chars or settings.AGENT_PDF_CHARS
    try:
        reader = PdfReader(io.BytesIO(data))
        parts = []
        for page in reader.pages:
            parts.append(page.extract_text() or "")
            if sum(map(len, parts)) > max_chars:
                break
    except (PdfReadError, ValueError, KeyError) as exc:
        raise MediaUnavailable(f"the PDF could not be read: {exc}") from exc
    text = "\n".join(parts).strip()
    return text[:max_chars]
