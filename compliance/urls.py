from django.urls import path
from rest_framework.routers import SimpleRouter

from compliance.apis import (
    CatalogLicenseViewSet,
    LicenseCheckApi,
    LicenseDetectionApi,
    PolicyRuleViewSet,
    VersionLicenseApi,
)
from compliance.approvals.apis import ApprovalViewSet
from compliance.classification_apis import ClassificationApi
from compliance.exports.apis import (
    ExportCompletenessApi,
    ExportDetailApi,
    ExportDownloadApi,
    ExportListApi,
    ExportTextApi,
)
from compliance.use_case_apis import UseCaseViewSet

router = SimpleRouter()
router.register("licenses", CatalogLicenseViewSet, basename="license")
router.register("license-policy-rules", PolicyRuleViewSet, basename="license-policy-rule")
router.register("use-cases", UseCaseViewSet, basename="use-case")
router.register("approvals", ApprovalViewSet, basename="approval")

urlpatterns = [
    *router.urls,
    path("license-checks/", LicenseCheckApi.as_view(), name="license-check"),
    path("license-detections/", LicenseDetectionApi.as_view(), name="license-detection"),
    path("versions/<int:pk>/license/", VersionLicenseApi.as_view(), name="version-license"),
    path("classifications/", ClassificationApi.as_view(), name="classification"),
    path("exports/", ExportListApi.as_view(), name="export-list"),
    path("exports/completeness/", ExportCompletenessApi.as_view(), name="export-completeness"),
    path("exports/<int:pk>/", ExportDetailApi.as_view(), name="export-detail"),
    path("exports/<int:pk>/download/", ExportDownloadApi.as_view(), name="export-download"),
    path("export-texts/", ExportTextApi.as_view(), name="export-text"),
]
