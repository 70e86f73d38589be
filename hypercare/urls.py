from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from hypercare import api, health, oidc, views

router = SimpleRouter()
router.register("programmes", api.ProgrammeViewSet, basename="programme")

programme_api = SimpleRouter()
programme_api.register("members", api.MemberViewSet, basename="member")
programme_api.register("notifications", api.NotificationViewSet, basename="notification")
programme_api.register("audit", api.AuditViewSet, basename="audit")

core_urls = [
    path("", views.home, name="home"),
    path("account/api-token/", views.api_tokens, name="api_tokens"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("p/<slug:slug>/", views.programme_detail, name="programme"),
    path("p/<slug:slug>/edit/", views.programme_edit, name="programme_edit"),
    path("p/<slug:slug>/calendar/", views.calendar_edit, name="calendar"),
    path("p/<slug:slug>/members/", views.members, name="members"),
    path("p/<slug:slug>/members/<str:username>/remove/", views.member_remove, name="member_remove"),
    path("p/<slug:slug>/audit/", views.audit_trail, name="audit"),
    path("p/<slug:slug>/audit.csv", views.audit_csv, name="audit_csv"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]

# Each app's pages live under a programme: /p/<slug>/…, its API under /api/v1/programmes/<slug>/….
APPS = ("tickets", "triage", "metrics", "handover", "releases", "intake")

api_v1 = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
    path("programmes/<slug:slug>/", include(programme_api.urls)),
    *[path("programmes/<slug:slug>/", include(f"{app}.api_urls")) for app in APPS],
]

handler403 = "hypercare.views.permission_denied"
handler404 = "hypercare.views.page_not_found"

urlpatterns = [
    path("", include((core_urls, "hypercare"))),
    *[path("p/<slug:slug>/", include(f"{app}.urls")) for app in APPS],
    path("healthz", health.healthz, name="healthz"),
    # Slack and Teams call these for every programme (intake.chat; signed, not session routes).
    path("integrations/", include("intake.integration_urls")),
    # Before Django's own: the login page with single sign-on, the logout that may end the provider's session.
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Single sign-on: each answers 404 while OIDC is not configured (hypercare.oidc).
    path("oidc/authenticate/", oidc.AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("oidc/refused/", oidc.refused, name="oidc_refused"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.BENCHMARK_CEILING:
    # The benchmark's ceiling: a bare Django view on the same server (only with HYPERCARE_BENCH_CEILING=1).
    urlpatterns.append(path("bench/ceiling", lambda request: HttpResponse("ok", content_type="text/plain")))
