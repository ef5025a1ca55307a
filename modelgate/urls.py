from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.views import healthz

admin.site.site_header = "Modelgate administration"
admin.site.site_title = "Modelgate"

api_v1 = [
    path("", include("registry.urls")),
    path("", include("core.urls")),
    path("", include("compliance.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="modelgate/redoc.html"),
        name="api-redoc",
    ),
    path("healthz", healthz, name="healthz"),
    path("", include("web.urls")),
]

handler404 = "core.views.not_found"
