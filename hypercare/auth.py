"""Authentication: login throttling, the audit trail of failed logins, and API tokens that die with\nthe password they were issued for."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import backends, get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from hypercare.audit import audit
from hypercare.compiled import CompiledQuery
from hypercare.models import Membership
from hypercare.services import api_token_revoke, api_tokens_revoke_without_programme


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    Logins without a request (the test client's login(), management commands) have no
    IP address to throttle on; they go straight to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


_user_by_id = CompiledQuery(lambda pk: get_user_model()._default_manager.filter(pk=pk), pk=int)


class ModelBackend(backends.ModelBackend):
    """Django's username-and-password backend; the signed-in user of every request is read with
    a query compiled once per process (Django builds and compiles it anew on each request).

    With HYPERCARE_PASSWORD_LOGIN=staff-only a password opens only staff accounts (the login page,
    the admin and the API token exchange alike); everyone else signs in with single sign-on.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and settings.HYPERCARE_PASSWORD_LOGIN == "staff-only" and not user.is_staff:
            return None
        return user

    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = next(iter(_user_by_id(pk=pk)), None)
        return user if user is not None and self.user_can_authenticate(user) else None


@receiver(user_login_failed)
def _audit_failed_login(sender, credentials, request=None, **kwargs):
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    audit("login.failed", actor=None, username=credentials.get("username", ""), ip=ip)


@receiver(post_save, sender=get_user_model(), dispatch_uid="hypercare.revoke_tokens_on_password_change")
def _revoke_tokens_on_password_change(sender, instance, created, **kwargs):
    """A changed or reset password (any set_password() then save(): the password change and reset
    pages, the admin, changepassword) revokes the user's API tokens: a leaked token dies with it."""
    # set_password() keeps the raw password on the instance until save() has run its hooks.
    if not created and getattr(instance, "_password", None) is not None:
        api_token_revoke(user=instance, reason="password changed")


@receiver(post_save, sender=Membership, dispatch_uid="hypercare.revoke_tokens_without_a_programme")
@receiver(post_delete, sender=Membership, dispatch_uid="hypercare.revoke_tokens_without_a_programme_deleted")
def _revoke_tokens_without_a_programme(sender, instance, **kwargs):
    """A member who no longer belongs to any programme loses their API tokens (staff, who provision
    programmes by script, keep theirs)."""
    deleted = "created" not in kwargs
    if instance.is_active and not deleted:
        return
    user = get_user_model().objects.filter(pk=instance.user_id).first()
    if user is not None:
        api_tokens_revoke_without_programme(user=user)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: under /api/ (the token exchange, a sign-off's
    password) the JSON an API client reads, elsewhere the page that explains the wait."""
    from axes.helpers import get_cool_off
    from django.http import JsonResponse
    from django.shortcuts import render

    minutes = int(get_cool_off(request).total_seconds() // 60) if get_cool_off(request) else None
    wait = f" Try again in {minutes} minutes." if minutes else ""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": f"Too many failed attempts.{wait}"}, status=429)
    else:
        context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
