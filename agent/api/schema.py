"""The OpenAPI schema (drf-spectacular) with every error an operation can answer, so a client, and
schemathesis in CI, know them: 400 everywhere, 415 where a body is taken, 401, 403 and 404 wherever
a login is needed, 409 and 429 where the view names them."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


INVALID = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    "Invalid input: `detail`, or each invalid field (or query parameter) with its messages."))
UNAUTHENTICATED = error("No valid token or session.")
FORBIDDEN = error("Not allowed: the API is for staff and managers, and some actions for managers only.")
NOT_FOUND = error("No such record among those you may see (or a page past the last).")
UNSUPPORTED = error("The body is not JSON (the token endpoint also takes a form).")
CONFLICT = error("The record's state does not allow this any more (already reviewed, already paid).")
LOCKED_OUT = error("Too many failed logins for this username from this address: `detail` says how long to wait.")


class ErrorsDocumentedSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        # After extend_schema's responses (which replace get_response_serializers): the errors it
        # does not name are added by rule.
        responses = super()._get_response_bodies(direction)
        for code, response in self._errors().items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return responses

    def _errors(self) -> dict:
        errors = {400: INVALID}  # a malformed body, query parameter or id in the path
        if self.method in ("POST", "PUT", "PATCH"):
            errors[415] = UNSUPPORTED
        if all(permission is AllowAny for permission in self.view.permission_classes):
            return errors  # open to anyone (logging in)
        # Any operation may name a record (in its path, a query parameter or its body).
        errors[401], errors[403], errors[404] = UNAUTHENTICATED, FORBIDDEN, NOT_FOUND
        return errors
