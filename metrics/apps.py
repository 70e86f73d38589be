from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self):
        from hypercare.signals import programme_created

        programme_created.connect(_standard_series, dispatch_uid="metrics-standard-series")


def _standard_series(sender, programme, by=None, **kwargs):
    from metrics.services import series_create_standard

    series_create_standard(programme=programme)
