from django.urls import path

from web.views import accounts, approvals, dashboard, developer, models, use_cases

app_name = "web"

urlpatterns = [
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("logout/", accounts.SignOutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("approvals/", approvals.approval_queue, name="approval-queue"),
    path("approvals/<int:pk>/", approvals.approval_detail, name="approval-detail"),
    path("approvals/<int:pk>/decide/", approvals.approval_decide, name="approval-decide"),
    path("models/", models.model_list, name="model-list"),
    path("models/<int:pk>/", models.model_detail, name="model-detail"),
    path("exports/", models.export_create, name="export-create"),
    path("exports/<int:pk>/progress/", models.export_progress, name="export-progress"),
    path("exports/<int:pk>/download/", models.export_download, name="export-download"),
    path("use-cases/", use_cases.use_case_list, name="use-case-list"),
    path("use-cases/<int:pk>/questionnaire/", use_cases.questionnaire, name="questionnaire"),
    path("use-cases/<int:pk>/questionnaire/preview/", use_cases.questionnaire_preview, name="questionnaire-preview"),
    path("developer/", developer.developer_home, name="developer"),
    path("developer/keys/", developer.key_create, name="key-create"),
    path("developer/keys/<int:pk>/revoke/", developer.key_revoke, name="key-revoke"),
]
