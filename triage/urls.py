"""HTML pages of the triage app, under /p/<slug>/."""

from django.urls import path

from triage import views

app_name = "triage"

urlpatterns = [
    path("triage/", views.board, name="board"),
    path("triage/standup/", views.standup_start, name="standup_start"),
    path("triage/sla-policy/", views.sla_policy, name="sla_policy"),
    path("triage/matrix/", views.matrix, name="matrix"),
    path("triage/reports/", views.overrides, name="overrides"),
    path("triage/rota/", views.rota, name="rota"),
    path("triage/rota/<int:shift_id>/remove/", views.rota_remove, name="rota_remove"),
    path("triage/queue-leads/", views.queue_leads, name="queue_leads"),
    path("triage/notifications/", views.preferences, name="preferences"),
    path("triage/tickets/<str:reference>/sla/", views.ticket_sla, name="ticket_sla"),
]
