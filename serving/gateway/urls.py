"""Routes of the gateway process (MODELGATE_COMPONENT=gateway)."""

from django.urls import path

from serving.gateway import views

urlpatterns = [
    path("v1/chat/completions", views.chat_completions),
    path("v1/completions", views.completions),
    path("v1/models", views.models),
    path("metrics", views.metrics),
    path("healthz", views.healthz),
]

handler404 = "serving.gateway.views.not_found"
handler500 = "serving.gateway.views.server_error"
