"""One place that shapes the domain's errors into API answers."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from agent.errors import ApplicationError, Conflict, NotFound, PermissionDenied


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        code = (status.HTTP_404_NOT_FOUND if isinstance(exc, NotFound)
                else status.HTTP_403_FORBIDDEN if isinstance(exc, PermissionDenied)
                else status.HTTP_409_CONFLICT if isinstance(exc, Conflict)
                else status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.message, **exc.extra}, status=code)
    return exception_handler(exc, context)
