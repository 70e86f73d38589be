"""HTML pages of the handover app, under /p/<slug>/."""

from django.urls import path

from handover import views

app_name = "handover"

urlpatterns = [
    path("exit-gate/", views.exit_gate, name="exit_gate"),
    path("exit-gate/criteria/", views.criteria, name="criteria"),
    path("exit-gate/criteria/<int:pk>/", views.criterion_edit, name="criterion_edit"),
    path("exit-gate/criteria/<int:pk>/remove/", views.criterion_remove, name="criterion_remove"),
    path("exit-gate/criteria/<int:pk>/attest/", views.criterion_attest, name="criterion_attest"),
    path(
        "exit-gate/attestations/<int:pk>/evidence/", views.attestation_evidence, name="attestation_evidence"
    ),
    path("handover/", views.pack, name="pack"),
    path("handover/items/<int:pk>/", views.item_detail, name="item"),
    path("handover/items/<int:pk>/document/", views.item_document, name="item_document"),
    path("handover/items/<int:pk>/download/", views.item_download, name="item_download"),
    path("handover/items/<int:pk>/submit/", views.item_submit, name="item_submit"),
    path("handover/items/<int:pk>/decide/", views.item_decide, name="item_decide"),
    path("handover/items/<int:pk>/remove/", views.item_remove, name="item_remove"),
    path("runbooks/", views.runbooks, name="runbooks"),
    path("runbooks/<int:pk>/", views.runbook_detail, name="runbook"),
    path("runbooks/<int:pk>/publish/", views.runbook_publish, name="runbook_publish"),
    path("knowledge-transfer/", views.knowledge_transfer, name="kt"),
    path("sign-off/", views.sign_off, name="sign_off"),
    path("sign-off/<int:pk>/", views.sign_off_detail, name="sign_off_detail"),
    path("sign-off/<int:pk>/revoke/", views.sign_off_revoke, name="sign_off_revoke"),
    path("celebration/", views.celebration, name="celebration"),
    path("exit-report/", views.exit_report, name="exit_report"),
    path("weekly-summary/", views.weekly, name="weekly"),
    path("weekly-summary/<int:pk>/", views.weekly_report, name="weekly_report"),
    path("exit-report.pdf", views.exit_report_pdf, name="exit_report_pdf"),
]
