"""The Graph API client: one `requests` session, timeouts, typed errors.

The bearer token is added per request and only to Graph itself or to the media URL that Graph
returned; it never sits on the session, so nothing else can receive it.
"""

import json
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import requests
from django.conf import settings

from whatsapp.outbound.errors import GraphError, GraphPermanentError, GraphRetryableError, error_from_response
from whatsapp.outbound.text import split_text

logger = logging.getLogger(__name__)

TEMPLATE_FIELDS = "id,name,status,category,language,components,quality_score,parameter_format,rejected_reason"
# A catalogue is a few pages at most; a Graph that keeps paging (a bug, a proxy) is stopped here.
MAX_TEMPLATE_PAGES = 200


@dataclass
class Media:
    """A downloaded file, on disk: `file` is a temporary file at its start, deleted when closed."""

    file: BinaryIO
    mime_type: str
    sha256: str
    file_size: int

    def read(self) -> bytes:
        """The whole file in memory: for small files; keep a large one on disk (`file`)."""
        self.file.seek(0)
        try:
            return self.file.read()
        finally:
            self.file.seek(0)

    def close(self) -> None:
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class MediaTooLarge(GraphPermanentError):
    """Larger than Meta allows for its type (settings.WHATSAPP_MEDIA_MAX_BYTES): never downloaded whole."""

    def __init__(self, *, size: int | None, limit: int, kind: str):
        self.size, self.limit, self.kind = size, limit, kind
        told = f"{size} bytes" if size is not None else "more"
        super().__init__("Media too large", title="Media too large", details=f"{told}, limit {limit} ({kind or 'file'})")


def media_limit(kind: str) -> int:
    """The largest file of this message type (audio, document, image, video, sticker) Meta sends."""
    limits = settings.WHATSAPP_MEDIA_MAX_BYTES
    return limits.get(kind) or max(limits.values())


class GraphClient:
    def __init__(self, *, base_url: str | None = None, version: str | None = None, token: str | None = None,
                 phone_number_id: str | None = None, session: requests.Session | None = None):
        self.base_url = (base_url or settings.WHATSAPP_API_BASE_URL).rstrip("/")
        self.version = version or settings.WHATSAPP_API_VERSION
        self.token = token if token is not None else settings.WHATSAPP_ACCESS_TOKEN
        self.phone_number_id = phone_number_id or settings.WHATSAPP_PHONE_NUMBER_ID
        self.session = session or _shared_session()
        self.timeout = (settings.WHATSAPP_CONNECT_TIMEOUT, settings.WHATSAPP_READ_TIMEOUT)

    # --- low level --------------------------------------------------------------------------------
    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def _request(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, url, headers={**self._auth(), **(headers or {})},
                                            timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise GraphRetryableError("Graph timed out", title="Timeout", details=type(exc).__name__) from exc
        except requests.RequestException as exc:
            raise GraphRetryableError("Graph unreachable", title="Connection failed",
                                      details=type(exc).__name__) from exc
        if response.status_code >= 400:
            try:
                document = response.json()
            except ValueError:
                document = None
            finally:
                response.close()  # a streamed error answer would otherwise hold its connection
            raise error_from_response(response.status_code, document)
        return response

    def _json(self, response: requests.Response) -> dict:
        try:
            return response.json()
        except ValueError as exc:
            raise GraphRetryableError("Graph answered with something that is not JSON",
                                      http_status=response.status_code) from exc

    def _messages_url(self, phone_number_id: str | None = None) -> str:
        return f"{self.base_url}/{self.version}/{phone_number_id or self.phone_number_id}/messages"

    def _media_url(self, phone_number_id: str | None = None) -> str:
        return f"{self.base_url}/{self.version}/{phone_number_id or self.phone_number_id}/media"

    # --- sending ----------------------------------------------------------------------------------
    def send_message(self, payload: dict, *, phone_number_id: str | None = None) -> str:
        """POST one message (text, template, interactive...). Returns its wamid.

        Success means accepted, not delivered: the statuses follow by webhook.
        """
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        document = self._json(self._request("POST", self._messages_url(phone_number_id), json=body))
        try:
            return str(document["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise GraphError("Graph accepted the message but returned no id", details=str(document)[:200]) from exc

    def send_text(self, to: str | dict, body: str, *, reply_to: str | None = None,
                  preview_url: bool = False) -> list[str]:
        """Send text; a body over 4096 characters goes out as several messages, in order."""
        ids = []
        for part in split_text(body):
            ids.append(self.send_message(text_payload(to, part, reply_to=reply_to, preview_url=preview_url)))
            reply_to = None
        return ids

    def send_template(self, to: str | dict, name: str, language: str, components: list | None = None) -> str:
        return self.send_message(template_payload(to, name, language, components))

    def mark_read(self, message_id: str, *, typing: bool = True, phone_number_id: str | None = None) -> None:
        """Blue ticks on the person's message, and a typing indicator until we answer (or 25 s)."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        if typing:
            body["typing_indicator"] = {"type": "text"}
        self._request("POST", self._messages_url(phone_number_id), json=body)

    # --- the template catalogue of the WhatsApp Business Account -----------------------------------
    def _templates_url(self, waba_id: str | None) -> str:
        return f"{self.base_url}/{self.version}/{waba_id or settings.WHATSAPP_BUSINESS_ACCOUNT_ID}/message_templates"

    def templates_list(self, *, waba_id: str | None = None, page_size: int = 100) -> Iterator[dict]:
        """Every template of the account, page after page (Meta's list items, as they come).

        Pages are asked for with the `after` cursor on our own URL, not by following `paging.next`,
        so the token only ever goes to Graph."""
        params = {"fields": TEMPLATE_FIELDS, "limit": page_size}
        seen = set()
        for _ in range(MAX_TEMPLATE_PAGES):
            document = self._json(self._request("GET", self._templates_url(waba_id), params=params))
            data = document.get("data") if isinstance(document, dict) else None
            yield from (item for item in data or [] if isinstance(item, dict))
            paging = document.get("paging") if isinstance(document, dict) else None
            paging = paging if isinstance(paging, dict) else {}
            after = (paging.get("cursors") or {}).get("after") if isinstance(paging.get("cursors"), dict) else None
            if not paging.get("next") or not after or after in seen:
                return
            seen.add(after)
            params = {**params, "after": after}
        raise GraphError("Graph kept answering with more template pages",
                         details=f"stopped after {MAX_TEMPLATE_PAGES} pages")

    def template_create(self, definition: dict, *, waba_id: str | None = None) -> dict:
        """Submit a template ({name, language, category, components}); answers {id, status, category}."""
        return self._json(self._request("POST", self._templates_url(waba_id), json=definition))

    def example_upload(self, content: bytes, mime_type: str, *, app_id: str | None = None) -> str:
        """Upload a media header's example (Meta's Resumable Upload API); returns its handle."""
        app_id = app_id or settings.WHATSAPP_APP_ID
        session = self._json(self._request("POST", f"{self.base_url}/{self.version}/{app_id}/uploads",
                                           params={"file_length": len(content), "file_type": mime_type}))
        session_id = str(session.get("id") or "")
        if not session_id.startswith("upload:"):
            raise GraphError("Graph opened no upload session", details=str(session)[:200])
        answer = self._json(self._request("POST", f"{self.base_url}/{self.version}/{session_id}", data=content,
                                          headers={"file_offset": "0"}))
        if not answer.get("h"):
            raise GraphError("Graph returned no handle for the upload", details=str(answer)[:200])
        return str(answer["h"])

    # --- media ------------------------------------------------------------------------------------
    def upload_media(self, content: bytes, *, mime_type: str, filename: str,
                     phone_number_id: str | None = None) -> str:
        """Upload a file for sending (multipart: file, type, messaging_product). Returns its media id,
        which a document (or a template's document header) names; Graph keeps it for 30 days."""
        response = self._request(
            "POST", self._media_url(phone_number_id),
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        document = self._json(response)
        if not isinstance(document, dict) or not document.get("id"):
            raise GraphError("Graph took the upload but returned no media id", details=str(document)[:200])
        return str(document["id"])

    def media_info(self, media_id: str) -> dict:
        """{url, mime_type, sha256, file_size, id}; the URL expires after 5 minutes."""
        return self._json(self._request("GET", f"{self.base_url}/{self.version}/{media_id}"))

    def download_media(self, media_id: str, *, kind: str = "", max_bytes: int | None = None) -> Media:
        """Look the media up, then stream it from the URL Graph returned to a temporary file (asking
        again once on 404). Refused (MediaTooLarge) above `max_bytes`, by default the limit of its
        `kind`: when Graph declares it larger, before any download; else as soon as it grows past it."""
        max_bytes = max_bytes or media_limit(kind)
        for attempt in (1, 2):
            info = self.media_info(media_id)
            declared = int(info.get("file_size") or 0)
            if declared > max_bytes:
                raise MediaTooLarge(size=declared, limit=max_bytes, kind=kind)
            try:
                file, size = self._fetch_to_disk(str(info["url"]), max_bytes, kind)
            except GraphPermanentError as exc:
                if exc.http_status == 404 and attempt == 1:
                    continue  # the URL expired: ask for a new one
                raise
            return Media(file=file, mime_type=str(info.get("mime_type") or ""), sha256=str(info.get("sha256") or ""),
                         file_size=size)
        raise GraphPermanentError("Media not found", http_status=404)

    def _fetch_to_disk(self, url: str, max_bytes: int, kind: str) -> tuple[BinaryIO, int]:
        response = self._request("GET", url, stream=True)
        file = tempfile.TemporaryFile()
        size = 0
        try:
            with response:
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise MediaTooLarge(size=None, limit=max_bytes, kind=kind)
                    file.write(chunk)
        except BaseException:
            file.close()
            raise
        file.seek(0)
        return file, size


def addressed(to: str | dict) -> dict:
    """Graph's recipient fields. `to` is a number ("+16505551234") or a Conversation.recipient:
    {"to": "+<number>"}, or {"recipient": "<business-scoped user id>"} for someone whose number
    WhatsApp withholds (Graph takes a BSUID only in `recipient`; with both, `to` wins)."""
    return dict(to) if isinstance(to, dict) else {"to": to}


def text_payload(to: str | dict, body: str, *, reply_to: str | None = None, preview_url: bool = False) -> dict:
    payload = {**addressed(to), "type": "text", "text": {"body": body, "preview_url": preview_url}}
    if reply_to:
        payload["context"] = {"message_id": reply_to}
    return payload


def template_payload(to: str | dict, name: str, language: str, components: list | None = None) -> dict:
    template = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return {**addressed(to), "type": "template", "template": template}


def document_payload(to: str | dict, *, filename: str, caption: str = "", media_id: str = "") -> dict:
    """A document message. The media id is filled in once the file is uploaded (media_filled)."""
    document = {"id": media_id, "filename": filename}
    if caption:
        document["caption"] = caption[:1024]
    return {**addressed(to), "type": "document", "document": document}


def media_filled(payload: dict, media_id: str) -> dict:
    """`payload` with `media_id` in its document: the message's own, or a template's document header
    (whatsapp.catalogue.components.template_components builds one)."""
    filled = json.loads(json.dumps(payload))
    if filled.get("type") == "document":
        filled["document"]["id"] = media_id
    for component in (filled.get("template") or {}).get("components") or []:
        for parameter in component.get("parameters") or []:
            if parameter.get("type") == "document":
                parameter["document"]["id"] = media_id
    return filled


def buttons_payload(to: str | dict, body: str, buttons: list[tuple[str, str]]) -> dict:
    """Interactive reply buttons (at most 3; titles at most 20 characters)."""
    return {
        **addressed(to),
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body[:1024]},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": bid[:256], "title": title[:20]}} for bid, title in buttons[:3]]
            },
        },
    }


_session: requests.Session | None = None


def _shared_session() -> requests.Session:
    """One pooled session per process (keep-alive to Graph)."""
    global _session
    if _session is None:
        _session = requests.Session()
        _session.headers["User-Agent"] = "whatsapp-business-assistant"
    return _session
