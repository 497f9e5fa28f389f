"""A fake Graph API at the HTTP boundary, built on `responses`: the real `requests` code runs.

Every request to the fake base URL is recorded; answers are scripted per test. Anything else
(a real host) is refused by `responses`, so no test can reach Meta.
"""

import itertools
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses

BASE_URL = "http://graph.fake"
VERSION = "v25.0"
PHONE_NUMBER_ID = "106540352242922"
# Meta's sample business account id (the template webhooks' entry[].id) and an app id.
WABA_ID = "102290129340398"
APP_ID = "1200000000000001"
# Meta refuses a template whose name already exists in that language with this.
DUPLICATE_TEMPLATE = (400, {"error": {
    "message": "Invalid parameter", "type": "OAuthException", "code": 100, "error_subcode": 2388024,
    "is_transient": False, "error_user_title": "Content in This Language Already Exists",
    "error_user_msg": "There is already English (US) content for this template. You can create a new template "
                      "and try again.", "fbtrace_id": "Atest"}})
SEND_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "send"


def send_fixture(name: str) -> dict:
    return json.loads((SEND_FIXTURES / f"{name}.json").read_text())


class FakeGraph:
    def __init__(self, mock: responses.RequestsMock):
        self.mock = mock
        self._ids = itertools.count(1)
        self.script: list = []  # answers for the next message sends: (status, body) or an exception
        self.upload_script: list = []  # answers for the next media uploads, like `script`
        self.media: dict[str, tuple[bytes, str]] = {}
        self._uploads = itertools.count(1)
        # The account's templates as Meta lists them; what `create` answers; scripted answers.
        self.templates: list[dict] = []
        self.created_status = "PENDING"
        self.template_script: list = []
        self.example_uploads: list[bytes] = []  # media header examples (Resumable Upload)
        templates = re.compile(rf"{BASE_URL}/{VERSION}/{WABA_ID}/message_templates")
        mock.add_callback(responses.GET, templates, callback=self._templates_list)
        mock.add_callback(responses.POST, templates, callback=self._template_create)
        mock.add_callback(responses.POST, re.compile(rf"{BASE_URL}/{VERSION}/{APP_ID}/uploads"),
                          callback=self._example_upload_session)
        mock.add_callback(responses.POST, re.compile(rf"{BASE_URL}/{VERSION}/upload:.+"), callback=self._example_upload)
        mock.add_callback(responses.POST, re.compile(rf"{BASE_URL}/{VERSION}/\d+/messages"), callback=self._messages)
        mock.add_callback(responses.POST, re.compile(rf"{BASE_URL}/{VERSION}/\d+/media"), callback=self._upload)
        mock.add_callback(responses.GET, re.compile(rf"{BASE_URL}/{VERSION}/[^/]+$"), callback=self._media_info)
        mock.add_callback(responses.GET, re.compile(rf"{BASE_URL}/media-download/.+"), callback=self._media_download)

    # --- scripting ---------------------------------------------------------------------------------
    def fail_next(self, *answers):
        """Queue answers for the next sends: an error fixture name, (status, dict), or an exception."""
        self.script.extend(answers)

    def fail_next_upload(self, *answers):
        """Queue answers for the next media uploads: (status, dict) or an exception."""
        self.upload_script.extend(answers)

    def add_media(self, media_id: str, content: bytes, mime_type: str):
        self.media[media_id] = (content, mime_type)

    def add_template(self, name: str, language: str = "en_US", *, status: str = "APPROVED",
                     category: str = "UTILITY", components: list | None = None, **fields) -> dict:
        """A template of the account, as Meta lists it."""
        template = {"name": name, "parameter_format": "POSITIONAL",
                    "components": components if components is not None else [{"type": "BODY", "text": "Hello!"}],
                    "language": language, "status": status, "category": category,
                    "id": str(806312974732000 + len(self.templates)), **fields}
        self.templates.append(template)
        return template

    # --- what was asked ------------------------------------------------------------------------------
    def created(self) -> list[dict]:
        """Bodies POSTed to create templates."""
        return [json.loads(r.body) for r in self.requests
                if r.method == "POST" and r.url.split("?")[0].endswith("/message_templates")]

    def template_pages(self) -> list[str]:
        return [r.url for r in self.requests if r.method == "GET" and "/message_templates" in r.url]

    @property
    def requests(self):
        return [call.request for call in self.mock.calls]

    def sent(self, kind: str | None = None) -> list[dict]:
        """Bodies POSTed as messages (not read receipts), optionally of one type."""
        bodies = [json.loads(r.body) for r in self.requests if r.method == "POST" and r.url.endswith("/messages")]
        bodies = [b for b in bodies if "type" in b]
        return [b for b in bodies if kind is None or b["type"] == kind]

    def uploads(self) -> list[dict]:
        """Media uploads posted, in order: the multipart form's fields and the file's bytes, name and
        content type."""
        return [upload_form(r) for r in self.requests if r.method == "POST" and r.url.endswith("/media")]

    def read_receipts(self) -> list[dict]:
        bodies = [json.loads(r.body) for r in self.requests if r.method == "POST" and r.url.endswith("/messages")]
        return [b for b in bodies if b.get("status") == "read"]

    def texts(self) -> list[str]:
        return [b["text"]["body"] for b in self.sent("text")]

    # --- callbacks ---------------------------------------------------------------------------------
    def _messages(self, request):
        body = json.loads(request.body)
        if body.get("status") == "read":
            return 200, {}, json.dumps({"success": True})
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, Exception):
                raise answer
            if isinstance(answer, str):
                document = send_fixture(answer)
                return 400, {}, json.dumps(document)
            status, document = answer
            return status, {}, json.dumps(document)
        wamid = f"wamid.fake{next(self._ids)}"
        # Graph names the person as it was asked: by number (`to` wins over `recipient`), or by
        # business-scoped user id, answered with `user_id` and no `wa_id`.
        if body.get("to"):
            contact = {"input": body["to"], "wa_id": str(body["to"]).lstrip("+")}
        else:
            contact = {"input": body.get("recipient"), "user_id": body.get("recipient")}
        return 200, {}, json.dumps({"messaging_product": "whatsapp", "contacts": [contact],
                                    "messages": [{"id": wamid}]})

    def _templates_list(self, request):
        """Meta's paging: `limit` per page, `paging.cursors.after` and `paging.next` until the last page."""
        query = parse_qs(urlsplit(request.url).query)
        limit = int(query.get("limit", ["25"])[0])
        start = int(query.get("after", ["0"])[0])
        page = self.templates[start:start + limit]
        paging = {"cursors": {"before": str(start), "after": str(start + len(page))}}
        if start + limit < len(self.templates):
            paging["next"] = (f"https://graph.facebook.com/{VERSION}/{WABA_ID}/message_templates?limit={limit}"
                              f"&after={start + len(page)}")
        return 200, {}, json.dumps({"data": page, "paging": paging})

    def _template_create(self, request):
        body = json.loads(request.body)
        if self.template_script:
            status, document = self.template_script.pop(0)
            return status, {}, json.dumps(document)
        if any(t["name"] == body["name"] and t["language"] == body["language"] for t in self.templates):
            status, document = DUPLICATE_TEMPLATE
            return status, {}, json.dumps(document)
        template = self.add_template(body["name"], body["language"], status=self.created_status,
                                     category=body["category"], components=body["components"])
        return 200, {}, json.dumps({"id": template["id"], "status": template["status"],
                                    "category": template["category"]})

    def _example_upload_session(self, request):
        return 200, {}, json.dumps({"id": f"upload:fake{next(self._ids)}"})

    def _example_upload(self, request):
        self.example_uploads.append(request.body)
        return 200, {}, json.dumps({"h": f"4::fake-handle-{len(self.example_uploads)}"})

    def _upload(self, request):
        form = upload_form(request)
        if not (form["messaging_product"] == "whatsapp" and form["type"] and form["content"]):
            return 400, {}, json.dumps({"error": {"message": "(#100) Invalid parameter", "code": 100}})
        if self.upload_script:
            answer = self.upload_script.pop(0)
            if isinstance(answer, Exception):
                raise answer
            status, document = answer
            return status, {}, json.dumps(document)
        media_id = f"{9000000000000000 + next(self._uploads)}"
        self.media[media_id] = (form["content"], form["type"])
        return 200, {}, json.dumps({"id": media_id})

    def _media_info(self, request):
        media_id = request.url.rsplit("/", 1)[-1]
        if media_id not in self.media:
            return 404, {}, json.dumps({"error": {"message": "Unsupported get request", "code": 100}})
        content, mime = self.media[media_id]
        return 200, {}, json.dumps({
            "messaging_product": "whatsapp", "id": media_id, "mime_type": mime, "sha256": "x",
            "file_size": str(len(content)), "url": f"{BASE_URL}/media-download/{media_id}",
        })

    def _media_download(self, request):
        media_id = request.url.rsplit("/", 1)[-1]
        content, mime = self.media[media_id]
        return 200, {"Content-Type": mime}, content


def graph_error(code: int, message: str = "error", http_status: int = 400, details: str = "") -> tuple:
    return http_status, {"error": {"message": message, "type": "OAuthException", "code": code,
                                   "error_data": {"messaging_product": "whatsapp", "details": details},
                                   "fbtrace_id": "Atest"}}


def upload_form(request) -> dict:
    """The fields of a multipart media upload as Graph reads them."""
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    form = {"messaging_product": "", "type": "", "content": b"", "filename": "", "content_type": ""}
    for part in BytesParser(policy=HTTP).parsebytes(head + body).iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "file":
            form.update(content=part.get_payload(decode=True), filename=part.get_filename() or "",
                        content_type=part.get_content_type())
        elif name:
            form[name] = part.get_payload(decode=True).decode()
    return form
