from django.apps import AppConfig


class HypercareConfig(AppConfig):
    name = "hypercare"
    verbose_name = "Hypercare core"

    def ready(self):
        from hypercare import auth  # noqa: F401  (connects the failed-login audit receiver)
