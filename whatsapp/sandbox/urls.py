from django.urls import path

from whatsapp.sandbox import graph, templates, views

urlpatterns = [
    path("", views.chat, name="sandbox"),
    path("people/<int:user_id>/feed/", views.feed, name="sandbox-feed"),
    path("people/<int:user_id>/compose/", views.compose, name="sandbox-compose"),
    path("people/<int:user_id>/clock/", views.clock, name="sandbox-clock"),
    path("media/<str:media_id>/", views.media, name="sandbox-media"),
    # The Graph API stand-in (what settings.WHATSAPP_API_BASE_URL names in sandbox mode).
    path("graph/media-download/<str:token>/", graph.media_download, name="sandbox-graph-media-download"),
    path("graph/<str:version>/<str:phone_number_id>/messages", graph.messages, name="sandbox-graph-messages"),
    path("graph/<str:version>/<str:account_id>/message_templates", templates.message_templates,
         name="sandbox-graph-templates"),
    path("graph/<str:version>/<str:app_id>/uploads", templates.upload_session, name="sandbox-graph-upload-session"),
    path("graph/<str:version>/upload:<str:session>", templates.upload, name="sandbox-graph-upload"),
    path("graph/<str:version>/<str:phone_number_id>/media", graph.media_upload, name="sandbox-graph-media-upload"),
    path("graph/<str:version>/<str:media_id>", graph.media, name="sandbox-graph-media"),
]
