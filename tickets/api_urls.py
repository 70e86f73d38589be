"""API routes of the tickets app, under /api/v1/programmes/<slug>/."""

from rest_framework.routers import SimpleRouter

from tickets import api, api_imports

router = SimpleRouter()
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("known-issues", api.KnownIssueViewSet, basename="known-issue")
router.register("imports", api_imports.TicketImportViewSet, basename="ticket-import")
router.register("canned-replies", api.CannedReplyViewSet, basename="canned-reply")

urlpatterns = router.urls
