"""API routes of the handover app, under /api/v1/programmes/<slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from handover import api

router = SimpleRouter()
router.register("sign-offs", api.SignOffViewSet, basename="sign-off")

urlpatterns = [
    path("exit-gate/", api.ExitGateView.as_view(), name="exit-gate"),
    *router.urls,
]
