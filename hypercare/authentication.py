"""DRF authentication of the project (its own module: DRF imports it while loading its settings)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from hypercare.compiled import CompiledQuery


def _tokens(key: str):
    from rest_framework.authtoken.models import Token

    return Token.objects.select_related("user").filter(key=key)


_token_with_user = CompiledQuery(_tokens, key=str)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same answers), its query compiled once per process."""

    def authenticate_credentials(self, key):
        token = next(iter(_token_with_user(key=key)), None)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        from hypercare.services import api_token_expires_at

        expires = api_token_expires_at(token)
        if expires is not None and expires <= timezone.now():
            raise exceptions.AuthenticationFailed(_("Token expired: log in again for a new one."))
        return (token.user, token)
