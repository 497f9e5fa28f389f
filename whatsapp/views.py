"""The webhook endpoint. Thin: check, store in one short transaction, answer. No network calls."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from whatsapp.payloads import MalformedPayload
from whatsapp.intake import webhook_receive
from whatsapp.signatures import signature_valid, verify_token_valid

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request):
    if request.method == "GET":
        return verify(request)
    return receive(request)


def verify(request):
    """Meta's subscription check: echo hub.challenge when the verify token is ours."""
    mode = request.GET.get("hub.mode")
    token = request.GET.get("hub.verify_token")
    challenge = request.GET.get("hub.challenge", "")
    if mode == "subscribe" and verify_token_valid(token, settings.WHATSAPP_VERIFY_TOKEN):
        return HttpResponse(challenge, content_type="text/plain")
    logger.warning("Webhook verification refused (mode=%r)", mode)
    return HttpResponse("Forbidden", status=403, content_type="text/plain")


def receive(request):
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > settings.WEBHOOK_MAX_BODY_BYTES:
        return _error(413, "body too large")
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, "body too large")
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return _error(413, "body too large")
    if not signature_valid(body, request.headers.get("X-Hub-Signature-256"), settings.WHATSAPP_APP_SECRET):
        # Never log the body: it may be anybody's.
        logger.warning("Webhook refused: missing or wrong X-Hub-Signature-256 (%d bytes from %s)",
                       len(body), request.META.get("REMOTE_ADDR"))
        return _error(403, "invalid signature")
    try:
        result = webhook_receive(body=body)
    except MalformedPayload as exc:  # not a WhatsApp webhook; the body is kept
        logger.warning("Webhook body rejected: %s", exc)
        return _error(400, str(exc))
    except DatabaseError:
        # Only an outage gets here (a refused value keeps the raw body and answers 200): nothing
        # was stored, and a 503 makes Meta deliver it again later, so nothing is lost.
        logger.exception("Webhook not stored: database unavailable")
        return _error(503, "temporarily unavailable")
    if result.kept_raw:
        return JsonResponse({"status": "ok", "event": result.event.pk, "stored": "raw body only"})
    return JsonResponse({"status": "ok", "event": result.event.pk})


def _error(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"status": "error", "reason": reason}, status=status)
