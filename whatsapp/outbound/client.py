"""The Graph API client: one `requests` session, timeouts, typed errors.

The bearer token is added per request and only to Graph itself or to the media URL that Graph
returned; it never sits on the session, so nothing else can receive it.
"""

import json
import logging
from dataclasses import dataclass

import requests
from django.conf import settings

from whatsapp.outbound.errors import GraphError, GraphPermanentError, GraphRetryableError, error_from_response
from whatsapp.outbound.text import split_text

logger = logging.getLogger(__name__)


@dataclass
class Media:
    content: bytes
    mime_type: str
    sha256: str
    file_size: int


class MediaTooLarge(GraphPermanentError):
    pass


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

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, url, headers=self._auth(), timeout=self.timeout, **kwargs)
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

    def download_media(self, media_id: str, *, max_bytes: int | None = None) -> Media:
        """Look the media up, then fetch it from the URL Graph returned (asking again once on 404)."""
        max_bytes = max_bytes or settings.WHATSAPP_MEDIA_MAX_BYTES
        for attempt in (1, 2):
            info = self.media_info(media_id)
            declared = int(info.get("file_size") or 0)
            if declared > max_bytes:
                raise MediaTooLarge("Media too large", title="Media too large",
                                    details=f"{declared} bytes, limit {max_bytes}")
            try:
                content = self._fetch_capped(str(info["url"]), max_bytes)
            except GraphPermanentError as exc:
                if exc.http_status == 404 and attempt == 1:
                    continue  # the URL expired: ask for a new one
                raise
            return Media(content=content, mime_type=str(info.get("mime_type") or ""),
                         sha256=str(info.get("sha256") or ""), file_size=len(content))
        raise GraphPermanentError("Media not found", http_status=404)

    def _fetch_capped(self, url: str, max_bytes: int) -> bytes:
        response = self._request("GET", url, stream=True)
        chunks, size = [], 0
        with response:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge("Media too large", title="Media too large", details=f"over {max_bytes} bytes")
                chunks.append(chunk)
        return b"".join(chunks)


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


def body_component(values) -> dict:
    """A template's BODY component: its placeholders {{1}}, {{2}}... filled with `values`, as text."""
    return {"type": "body", "parameters": [{"type": "text", "text": str(value)} for value in values]}


def document_header(*, filename: str, media_id: str = "") -> dict:
    """A template's DOCUMENT header component carrying a file (its id filled in by media_filled)."""
    return {"type": "header", "parameters": [{"type": "document", "document": {"id": media_id, "filename": filename}}]}


def media_filled(payload: dict, media_id: str) -> dict:
    """`payload` with `media_id` in its document: the message's own, or a template's document header."""
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
