"""Authentication: login throttling, and the audit trail of failed logins."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from hypercare.audit import audit


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    Logins without a request (the test client's login(), management commands) have no
    IP address to throttle on; they go straight to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _audit_failed_login(sender, credentials, request=None, **kwargs):
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    audit("login.failed", actor=None, username=credentials.get("username", ""), ip=ip)
