from django.contrib import admin
from django.urls import include, path

from whatsapp import views as whatsapp_views
from config import health

urlpatterns = [
    path("health/", health.health),
    path("readiness/", health.readiness),
    path("webhooks/whatsapp/", whatsapp_views.webhook, name="whatsapp-webhook"),
    path("api/", include("agent.api.urls")),
    path("sandbox/", include("whatsapp.sandbox.urls")),
    path("admin/", admin.site.urls),
]
