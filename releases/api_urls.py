"""API routes of the releases app, under /api/v1/programmes/<slug>/."""

from rest_framework.routers import SimpleRouter

from releases import api

router = SimpleRouter()
router.register("hotfixes", api.HotfixViewSet, basename="hotfix")
router.register("releases", api.PatchReleaseViewSet, basename="patch-release")
router.register("production-changes", api.ProductionChangeViewSet, basename="production-change")
router.register("bulletins", api.BulletinViewSet, basename="bulletin")
router.register("webhooks", api.WebhookViewSet, basename="webhook")
router.register("status-reports", api.StatusReportViewSet, basename="status-report")

urlpatterns = router.urls
