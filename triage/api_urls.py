"""API routes of the triage app, under /api/v1/programmes/<slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from triage import api

router = SimpleRouter()
router.register("oncall", api.OnCallViewSet, basename="oncall")

urlpatterns = [
    path("sla-policy/", api.SlaPolicyView.as_view(), name="sla-policy"),
    path("sla-policy/versions/", api.SlaPolicyVersionsView.as_view(), name="sla-policy-versions"),
    path("sla-compliance/", api.SlaComplianceView.as_view(), name="sla-compliance"),
    path("triage-matrix/", api.MatrixView.as_view(), name="triage-matrix"),
    path("severity-overrides/", api.SeverityOverridesView.as_view(), name="severity-overrides"),
    path("tickets/<str:reference>/sla/", api.TicketSlaView.as_view(), name="ticket-sla"),
    *router.urls,
]
