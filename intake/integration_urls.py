"""Installation-level chat endpoints, under /integrations/ (not under a programme: one Slack app
and one Teams webhook URL serve every programme; a lead links each channel to its programme)."""

from django.urls import path

from intake.chat import views

app_name = "integrations"

urlpatterns = [
    path("slack/", views.slack, name="slack"),
    path("teams/", views.teams, name="teams"),
    path("chat/link/<str:token>/", views.chat_link, name="chat_link"),
]
