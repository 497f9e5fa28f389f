from django.urls import path

from whatsapp.sandbox import graph, views

urlpatterns = [
    path("", views.chat, name="sandbox"),
    path("people/<int:user_id>/feed/", views.feed, name="sandbox-feed"),
    path("people/<int:user_id>/compose/", views.compose, name="sandbox-compose"),
    path("media/<str:media_id>/", views.media, name="sandbox-media"),
    # The Graph API stand-in (what settings.WHATSAPP_API_BASE_URL names in sandbox mode).
    path("graph/media-download/<str:token>/", graph.media_download, name="sandbox-graph-media-download"),
    path("graph/<str:version>/<str:phone_number_id>/messages", graph.messages, name="sandbox-graph-messages"),
    path("graph/<str:version>/<str:phone_number_id>/media", graph.media_upload, name="sandbox-graph-media-upload"),
    path("graph/<str:version>/<str:media_id>", graph.media, name="sandbox-graph-media"),
]
