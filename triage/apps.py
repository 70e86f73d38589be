from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"

    def ready(self):
        from tickets import signals
        from triage.services import paging

        signals.ticket_created.connect(paging.on_ticket_created, dispatch_uid="triage-page-new-ticket")
        signals.ticket_severity_changed.connect(
            paging.on_severity_changed, dispatch_uid="triage-page-severity"
        )
