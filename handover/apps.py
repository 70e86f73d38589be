from django.apps import AppConfig


class HandoverConfig(AppConfig):
    name = "handover"

    def ready(self):
        from hypercare.signals import programme_created
        from releases.signals import status_figures_collect

        programme_created.connect(_programme_defaults, dispatch_uid="handover-programme-defaults")
        status_figures_collect.connect(_status_figures, dispatch_uid="handover-status-exit-gate")


def _programme_defaults(sender, programme, by=None, **kwargs):
    from handover.services import programme_defaults_create

    programme_defaults_create(programme=programme, by=by)


def _status_figures(sender, programme, at, **kwargs):
    from handover.criteria import gate_status_figures

    return gate_status_figures(programme=programme, at=at)
