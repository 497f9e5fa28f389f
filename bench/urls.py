"""The project's URLs plus /bench/bare/, a Django view that does no work: the ceiling to compare with.

The bare view goes through the same WSGI server, middleware and URL resolution as the webhook, and
reads the request body, but touches neither the database nor the broker.
"""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request):
    return JsonResponse({"status": "ok", "bytes": len(request.body)})


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
