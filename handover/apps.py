from django.apps import AppConfig


class HandoverConfig(AppConfig):
    name = "handover"

    def ready(self):
        from hypercare.signals import programme_created

        programme_created.connect(_programme_defaults, dispatch_uid="handover-programme-defaults")


def _programme_defaults(sender, programme, by=None, **kwargs):
    from handover.services import programme_defaults_create

    programme_defaults_create(programme=programme, by=by)
