"""How the Graph API stand-in answers, as Meta does: its error object and its bearer token check."""

import hmac
import secrets

from django.conf import settings
from django.http import JsonResponse


def graph_error(status: int, code: int, message: str, error_type: str = "OAuthException", details: str = ""):
    error = {"message": message, "type": error_type, "code": code, "fbtrace_id": secrets.token_urlsafe(16)}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return JsonResponse({"error": error}, status=status)


def authorised(request) -> bool:
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"
    return bool(settings.WHATSAPP_ACCESS_TOKEN) and hmac.compare_digest(given.encode(), expected.encode())


def bad_token():
    return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
