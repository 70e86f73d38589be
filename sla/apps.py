from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "SLA policy and triage matrix"

    def ready(self):
        from hypercare.signals import programme_created

        programme_created.connect(_programme_defaults, dispatch_uid="sla-programme-defaults")


def _programme_defaults(sender, programme, by=None, **kwargs):
    from sla.policy import programme_defaults_create

    programme_defaults_create(programme=programme, by=by)
