"""HTML pages of the e-mail and chat intake, under /p/<slug>/."""

from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("intake/", views.mailbox, name="mailbox"),
    path("intake/mails/<int:mail_id>/raw/", views.mail_raw, name="mail_raw"),
    path("intake/mails/<int:mail_id>/retry/", views.mail_retry, name="mail_retry"),
    path("integrations/chat/", views.chat, name="chat"),
    path("integrations/chat/<int:pk>/remove/", views.chat_remove, name="chat_remove"),
]
