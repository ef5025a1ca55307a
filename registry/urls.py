from django.urls import path
from rest_framework.routers import SimpleRouter

from registry.apis import ImportTaskApi, ModelVersionViewSet, ModelViewSet, OrganizationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("models", ModelViewSet, basename="model")
router.register("versions", ModelVersionViewSet, basename="version")

urlpatterns = [
    *router.urls,
    path("import-tasks/<str:task_id>/", ImportTaskApi.as_view(), name="import-task"),
]
