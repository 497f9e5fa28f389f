"""The stand-in's side of templates and the 24-hour window, as Meta's Graph answers them.

Its business account has the project's templates (whatsapp.catalogue.definitions), all approved:
`GET /{WABA_ID}/message_templates` lists them page by page, creating one answers it approved, and
the Resumable Upload API takes a media header's example. A template send is checked as Meta checks
it (132001 not in that language, 132000 other values, 132012 no document for a document header);
anything but a template to someone who has not written for 24 hours is refused with 131047.
"""

import hashlib
import json
import secrets

from django.conf import settings
from django.db.models import Max, Q
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from whatsapp.catalogue.check import HEADER_CODE, MISSING_CODE, PARAMETERS_CODE, template_problem
from whatsapp.catalogue.definitions import project_templates
from whatsapp.models import REPLY_WINDOW, Message, MessageTemplate
from whatsapp.sandbox.answers import authorised, bad_token, graph_error
from whatsapp.sandbox.mode import sandbox_only
from whatsapp.sandbox.phone import wa_id_of

PAGE_SIZE = 25
# Meta's words for the template errors the stand-in answers.
MESSAGES = {
    MISSING_CODE: "(#132001) Template name does not exist in the translation",
    PARAMETERS_CODE: "(#132000) Number of parameters does not match the expected number of params",
    HEADER_CODE: "(#132012) Parameter format does not match format in the created template",
}
WINDOW_CLOSED = ("Message failed to send because more than 24 hours have passed since the customer last replied "
                 "to this number.")


def _template_id(key: str) -> str:
    return str(10**14 + int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) % (9 * 10**14))


def sandbox_catalogue() -> list[dict]:
    """The stand-in account's templates, as Meta lists them: the project's, approved."""
    return [{"name": d.name, "parameter_format": "POSITIONAL", "components": d.components(header_handle="4::sandbox"),
             "language": d.language, "status": "APPROVED", "category": d.category,
             "quality_score": {"score": "GREEN"}, "id": _template_id(d.key)} for d in project_templates()]


def template_refusal(template: dict) -> tuple[int, str, str] | None:
    """(code, Meta's message, details) when Meta would refuse this template send, else None."""
    name, language = str(template.get("name") or ""), str((template.get("language") or {}).get("code") or "")
    listed = next((t for t in sandbox_catalogue() if t["name"] == name and t["language"] == language), None)
    if listed is None:
        return MISSING_CODE, MESSAGES[MISSING_CODE], f"template name ({name}) does not exist in {language}"
    problem = template_problem(MessageTemplate(name=name, language=language, status=listed["status"],
                                               components=listed["components"]), template.get("components"))
    if problem is None:
        return None
    return problem.code, MESSAGES.get(problem.code, f"(#{problem.code}) Invalid parameter"), problem.title


def window_closed(payload: dict, phone_number_id: str) -> bool:
    """Whether the person has not written to this number for 24 hours (what Meta knows: the time of
    their last message; a `system` notice is not one)."""
    person = Q(conversation__wa_id=wa_id_of(payload["to"])) if payload.get("to") else Q(
        conversation__bsuid=str(payload.get("recipient") or ""))
    last = (Message.objects.filter(person, conversation__phone_number_id=phone_number_id,
                                   direction=Message.Direction.INBOUND).exclude(type="system")
            .aggregate(last=Max("timestamp"))["last"])
    return last is None or last + REPLY_WINDOW <= timezone.now()


def _refused(status: int, code: int, message: str, details: str = ""):
    return graph_error(status, code, message, details=details)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@sandbox_only
def message_templates(request, version, account_id):
    if not authorised(request):
        return bad_token()
    if account_id != settings.WHATSAPP_BUSINESS_ACCOUNT_ID:
        return _refused(400, 100, f"Unsupported request. Object with ID '{account_id}' does not exist.")
    if request.method == "POST":
        return _create(request)
    catalogue = sandbox_catalogue()
    try:
        limit = max(1, min(int(request.GET.get("limit") or PAGE_SIZE), 100))
        start = int(request.GET.get("after") or 0)
    except ValueError:
        return _refused(400, 100, "(#100) Invalid parameter", "limit and after are numbers here.")
    page = catalogue[start:start + limit]
    paging = {"cursors": {"before": str(start), "after": str(start + len(page))}}
    if start + limit < len(catalogue):
        paging["next"] = request.build_absolute_uri(f"?limit={limit}&after={start + len(page)}")
    return JsonResponse({"data": page, "paging": paging})


def _create(request):
    try:
        body = json.loads(request.body)
    except ValueError:
        return _refused(400, 100, "(#100) Invalid parameter", "The request body is not JSON.")
    if not isinstance(body, dict) or not all(body.get(k) for k in ("name", "language", "category", "components")):
        return _refused(400, 100, "(#100) Invalid parameter", "name, language, category and components are required.")
    # Approved at once: the sandbox has no review.
    return JsonResponse({"id": _template_id(f"{body['name']}:{body['language']}"), "status": "APPROVED",
                         "category": str(body["category"]).upper()})


@csrf_exempt
@require_POST
@sandbox_only
def upload_session(request, version, app_id):
    if not authorised(request):
        return bad_token()
    return JsonResponse({"id": f"upload:{secrets.token_urlsafe(12)}"})


@csrf_exempt
@require_POST
@sandbox_only
def upload(request, version, session):
    if not authorised(request):
        return bad_token()
    return JsonResponse({"h": f"4::{hashlib.sha256(request.body).hexdigest()[:24]}"})
