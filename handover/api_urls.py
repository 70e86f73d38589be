"""API routes of the handover app, under /api/v1/programmes/<slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from handover import api

router = SimpleRouter()
router.register("sign-offs", api.SignOffViewSet, basename="sign-off")
router.register("handover-items", api.HandoverItemViewSet, basename="handover-item")
router.register("runbooks", api.RunbookViewSet, basename="runbook")
router.register("exit-criteria", api.ExitCriterionViewSet, basename="exit-criterion")

urlpatterns = [
    path("exit-gate/", api.ExitGateView.as_view(), name="exit-gate"),
    path("knowledge-transfer/", api.KnowledgeTransferView.as_view(), name="knowledge-transfer"),
    *router.urls,
]
