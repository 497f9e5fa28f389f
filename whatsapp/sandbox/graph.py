"""A stand-in for Meta's Graph API, served by the project itself in sandbox mode.

Same requests and answers as Meta's (see ../shared/whatsapp-cloud-api.md, "Sending" and "Media"):
the real GraphClient talks to it over HTTP. What it accepts is recorded (SandboxDelivery) and its
statuses are posted back to the webhook, signed, as Meta posts them. Its account's templates, the
check of a template send and the 24-hour window are in whatsapp.sandbox.templates.
"""

import json

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from whatsapp.models import SandboxDelivery, SandboxMedia
from whatsapp.outbound.errors import WINDOW_CLOSED_CODE
from whatsapp.sandbox import services, templates
from whatsapp.sandbox.answers import authorised, bad_token, graph_error
from whatsapp.sandbox.mode import sandbox_only
from whatsapp.sandbox.phone import new_wamid, wa_id_of

MEDIA_URL_SECONDS = 300  # Meta's media URLs expire after 5 minutes
SENDABLE_TYPES = {"text", "template", "interactive", "image", "audio", "video", "document", "sticker", "reaction",
                  "location", "contacts"}
TEXT_LIMIT = 4096


def _invalid_parameter(details: str):
    return graph_error(400, 100, "(#100) Invalid parameter", details=details)


@csrf_exempt
@require_POST
@sandbox_only
def messages(request, version, phone_number_id):
    if not authorised(request):
        return bad_token()
    if phone_number_id != settings.WHATSAPP_PHONE_NUMBER_ID:
        return graph_error(400, 100, f"Unsupported post request. Object with ID '{phone_number_id}' does not "
                           "exist, cannot be loaded due to missing permissions, or does not support this "
                           "operation.", error_type="GraphMethodException")
    try:
        payload = json.loads(request.body)
    except ValueError:
        return _invalid_parameter("The request body is not JSON.")
    if not isinstance(payload, dict) or payload.get("messaging_product") != "whatsapp":
        return _invalid_parameter("messaging_product must be whatsapp.")

    if payload.get("status") == "read":
        if not payload.get("message_id"):
            return _invalid_parameter("message_id is required.")
        services.delivery_record(kind=SandboxDelivery.Kind.READ, wamid=str(payload["message_id"]),
                                 phone_number_id=phone_number_id, payload=payload)
        return JsonResponse({"success": True})

    problem = _message_problem(payload)
    if problem:
        return _invalid_parameter(problem)
    if payload["type"] == "template":
        refusal = templates.template_refusal(payload["template"])
        if refusal is not None:
            code, message, details = refusal
            return graph_error(400 if code != templates.MISSING_CODE else 404, code, message, details=details)
    elif templates.window_closed(payload, phone_number_id):
        return graph_error(400, WINDOW_CLOSED_CODE, "(#131047) Re-engagement message", details=templates.WINDOW_CLOSED)
    wamid = new_wamid()
    services.delivery_record(kind=SandboxDelivery.Kind.MESSAGE, wamid=wamid, phone_number_id=phone_number_id,
                             payload=payload)
    # Graph's answer names the person as it was asked: a number (`to` wins when both are given), or a
    # business-scoped user id (`recipient`), answered with `user_id` and no `wa_id`.
    if payload.get("to"):
        contact = {"input": payload["to"], "wa_id": wa_id_of(payload["to"])}
    else:
        contact = {"input": payload["recipient"], "user_id": payload["recipient"]}
    answer = {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": wamid}]}
    if payload["type"] == "template":
        answer["messages"][0]["message_status"] = "accepted"
    return JsonResponse(answer)


def _message_problem(payload: dict) -> str:
    kind = payload.get("type") or "text"
    if not (payload.get("to") or payload.get("recipient")):
        return "to or recipient is required."
    if kind not in SENDABLE_TYPES:
        return f"Unsupported message type {kind}."
    content = payload.get(kind)
    if not isinstance(content, dict):
        return f"{kind} is required."
    if kind == "text":
        body = content.get("body")
        if not isinstance(body, str) or not body:
            return "text['body'] is required."
        if len(body) > TEXT_LIMIT:
            return f"Param text['body'] must be at most {TEXT_LIMIT} characters long."
    if kind == "template" and not (content.get("name") and (content.get("language") or {}).get("code")):
        return "template name and language code are required."
    if kind == "interactive":
        buttons = (content.get("action") or {}).get("buttons") or []
        if content.get("type") == "button" and not 1 <= len(buttons) <= 3:
            return "An interactive button message has 1 to 3 buttons."
    return ""


@csrf_exempt
@require_POST
@sandbox_only
def media_upload(request, version, phone_number_id):
    """Graph's media upload (multipart: file, type, messaging_product): kept as media people send
    are kept, so the phone shows the document that follows; answers its id."""
    if not authorised(request):
        return bad_token()
    if phone_number_id != settings.WHATSAPP_PHONE_NUMBER_ID:
        return graph_error(400, 100, f"Unsupported post request. Object with ID '{phone_number_id}' does not "
                           "exist.", error_type="GraphMethodException")
    upload = request.FILES.get("file")
    if request.POST.get("messaging_product") != "whatsapp" or upload is None:
        return _invalid_parameter("messaging_product=whatsapp and a file are required.")
    try:
        _, media = services.media_store(content=upload.read(), mime_type=request.POST.get("type") or upload.content_type,
                                        filename=upload.name or "")
    except services.UploadRefused as refused:
        return _invalid_parameter(str(refused))
    return JsonResponse({"id": media.media_id})


@require_GET
@sandbox_only
def media(request, version, media_id):
    if not authorised(request):
        return bad_token()
    item = SandboxMedia.objects.filter(media_id=media_id).only("media_id", "mime_type", "sha256", "size").first()
    if item is None:
        return graph_error(400, 100, f"Unsupported get request. Object with ID '{media_id}' does not exist.",
                           error_type="GraphMethodException")
    token = signing.dumps(item.media_id, salt="sandbox-media")
    return JsonResponse({"messaging_product": "whatsapp",
                         "url": request.build_absolute_uri(reverse("sandbox-graph-media-download", args=[token])),
                         "mime_type": item.mime_type, "sha256": item.sha256, "file_size": str(item.size),
                         "id": item.media_id})


@require_GET
@sandbox_only
def media_download(request, token):
    """The media URL media() returned: needs the same bearer token, and expires like Meta's."""
    if not authorised(request):
        return bad_token()
    try:
        media_id = signing.loads(token, salt="sandbox-media", max_age=MEDIA_URL_SECONDS)
    except signing.BadSignature:
        return HttpResponse("URL expired", status=404, content_type="text/plain")
    item = SandboxMedia.objects.filter(media_id=media_id).first()
    if item is None:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    return HttpResponse(bytes(item.content), content_type=item.mime_type)
