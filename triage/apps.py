from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"

    def ready(self):
        from hypercare.signals import calendar_changed, programme_created

        programme_created.connect(_programme_defaults, dispatch_uid="triage-programme-defaults")
        calendar_changed.connect(_recompute_open_clocks, dispatch_uid="triage-calendar-changed")


def _programme_defaults(sender, programme, by=None, **kwargs):
    from triage.services import programme_defaults_create

    programme_defaults_create(programme=programme, by=by)


def _recompute_open_clocks(sender, programme, **kwargs):
    from triage.tasks import recompute_open_clocks_task

    recompute_open_clocks_task.delay_on_commit(programme_id=programme.pk)
