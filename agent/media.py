"""Media the person sent: download once through the Graph client, transcribe, read PDFs.

A file is streamed from Graph to a temporary file and from there to storage (never whole in memory),
and refused above Meta's limit for its type (MediaTooBig: the person is told the limit).
"""

import base64
import io
import logging
import mimetypes

from django.conf import settings
from django.core.files import File
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from agent.llm import openai_client
from whatsapp.models import Message
from whatsapp.outbound.client import GraphClient, MediaTooLarge
from whatsapp.outbound.errors import GraphError

logger = logging.getLogger(__name__)

EXTENSIONS = {"audio/ogg": ".ogg", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
              "application/pdf": ".pdf", "video/mp4": ".mp4"}


class MediaUnavailable(Exception):
    """The media could not be downloaded or read; the person is asked to try another way."""


KINDS = {"audio": "voice notes and audio files", "document": "documents", "image": "photos", "video": "videos",
         "sticker": "stickers"}


class MediaTooBig(MediaUnavailable):
    """Larger than Meta's limit for its type: never downloaded whole. `reply` says so to the person."""

    def __init__(self, *, kind: str, size: int | None, limit: int):
        self.kind, self.size, self.limit = kind, size, limit
        super().__init__(f"too large: {size if size is not None else 'over'} bytes, limit {limit} ({kind})")

    @property
    def reply(self) -> str:
        what = f" ({_megabytes(self.size)})" if self.size else ""
        return (f"That file is too large for me{what}: {KINDS.get(self.kind, 'files')} can be up to "
                f"{_megabytes(self.limit)}. Could you send a smaller one, or type the details?")


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.0f} MB" if size % (1024 * 1024) == 0 else f"{size / (1024 * 1024):.1f} MB"


def _extension(mime_type: str) -> str:
    base = (mime_type or "").split(";")[0].strip()
    return EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ".bin"


def media_download(message: Message, *, client: GraphClient | None = None) -> None:
    """Download the media of `message` once and keep it on the message (media_file), streamed."""
    if message.media_file:
        return
    if message.media_removed_at:
        raise MediaUnavailable("the file was removed (retention)")
    if not message.media_id:
        raise MediaUnavailable("message has no media")
    try:
        media = (client or GraphClient()).download_media(message.media_id, kind=message.type)
    except MediaTooLarge as exc:
        logger.info("Media %s of message %s refused: %s", message.media_id, message.pk, exc)
        raise MediaTooBig(kind=message.type, size=exc.size, limit=exc.limit) from exc
    except GraphError as exc:
        logger.warning("Media %s of message %s could not be downloaded: %s", message.media_id, message.pk, exc)
        raise MediaUnavailable(str(exc)) from exc
    name = message.media_filename or f"{message.type}-{message.pk}{_extension(message.media_mime_type)}"
    with media:
        message.media_file.save(name, File(media.file, name=name), save=False)
    Message.objects.filter(pk=message.pk).update(media_file=message.media_file.name)


def media_bytes(message: Message, *, client: GraphClient | None = None) -> bytes:
    """The media of `message`, whole (photos, e-invoices: what is read in memory anyway)."""
    media_download(message, client=client)
    with message.media_file.open("rb") as handle:
        return handle.read()


def transcribe(message: Message) -> str:
    """Speech to text for a voice note (WhatsApp sends ogg/opus); kept on the message."""
    if message.transcript:
        return message.transcript
    media_download(message)
    try:
        with message.media_file.open("rb") as audio:
            result = openai_client().audio.transcriptions.create(
                model=settings.OPENAI_TRANSCRIBE_MODEL, file=("voice.ogg", audio, "audio/ogg")
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


def pdf_text(data: bytes | io.IOBase, *, max_chars: int | None = None) -> str:
    """The text of a PDF (pypdf; its bytes, or a file it reads as it needs), cut to a size the prompt can take."""
    max_chars = max_chars or settings.AGENT_PDF_CHARS
    try:
        reader = PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data)
        parts = []
        for page in reader.pages:
            parts.append(page.extract_text() or "")
            if sum(map(len, parts)) > max_chars:
                break
    except (PdfReadError, ValueError, KeyError) as exc:
        raise MediaUnavailable(f"the PDF could not be read: {exc}") from exc
    text = "\n".join(parts).strip()
    return text[:max_chars]
