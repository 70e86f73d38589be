"""HTML pages of the releases app, under /p/<slug>/."""

from django.urls import path

from releases import views, views_bulletins

app_name = "releases"

urlpatterns = [
    path("hotfixes/", views.hotfix_list, name="hotfixes"),
    path("hotfixes/<int:pk>/", views.hotfix_detail, name="hotfix"),
    path("hotfixes/<int:pk>/advance/", views.hotfix_advance, name="hotfix_advance"),
    path("hotfixes/<int:pk>/stages/<str:stage>/report/", views.hotfix_report, name="hotfix_report"),
    path("releases/", views.release_list, name="releases"),
    path("releases/new/", views.release_create, name="release_create"),
    path("releases/settings/", views.release_settings, name="release_settings"),
    path("releases/<int:pk>/", views.release_detail, name="release"),
    path("releases/<int:pk>/hotfixes/", views.release_hotfixes, name="release_hotfixes"),
    path("releases/<int:pk>/deploy/", views.release_deploy, name="release_deploy"),
    path("releases/<int:pk>/resolve-tickets/", views.release_resolve_tickets, name="release_resolve_tickets"),
    path("production-changes/", views.production_changes, name="production_changes"),
    path(
        "production-changes/<int:pk>/decide/", views.production_change_decide, name="production_change_decide"
    ),
    path("daily-status/", views.status_page, name="status"),
    path("daily-status/<int:pk>/", views.status_report, name="status_report"),
    path("daily-status/preferences/", views.preferences, name="preferences"),
    path("whats-happening/", views.whats_happening, name="whats_happening"),
    path("bulletins/", views_bulletins.bulletin_list, name="bulletins"),
    path("bulletins/new/", views_bulletins.bulletin_create, name="bulletin_create"),
    path("bulletins/schedule/", views_bulletins.bulletin_schedule, name="bulletin_schedule"),
    path("bulletins/<int:pk>/", views_bulletins.bulletin_detail, name="bulletin"),
    path("bulletins/<int:pk>/edit/", views_bulletins.bulletin_edit, name="bulletin_edit"),
    path("bulletins/<int:pk>/send/", views_bulletins.bulletin_send, name="bulletin_send"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook"),
    path("webhooks/<int:pk>/active/", views.webhook_active, name="webhook_active"),
]
