"""Single sign-on with OpenID Connect (mozilla-django-oidc), configured from the environment.

Off unless an issuer (or explicit endpoints) and a client id are set: then /oidc/authenticate/,
/oidc/callback/ and /oidc/refused/ answer 404 and the login page shows no SSO button. The
provider's endpoints come from the explicit OIDC_OP_* settings, else from the issuer's
/.well-known/openid-configuration, fetched on first use and kept for the life of the process.

A sign-in is matched to an existing, invited account by its verified e-mail (case-insensitive):
nobody is created, an account without an active membership in any programme is refused, and each
refusal gets a page that says why.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from mozilla_django_oidc import auth as oidc_auth
from mozilla_django_oidc import views as oidc_views

from hypercare.audit import audit
from hypercare.auth import ModelBackend

logger = logging.getLogger(__name__)

# Our setting -> the provider metadata field it is discovered from.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}

# Why a sign-in was refused: the session key the refusal page reads, and what it says.
REFUSAL_KEY = "oidc_refusal"
REFUSALS = {
    "unknown": (
        "No Hypercare account has this e-mail address",
        "Single sign-on only opens accounts that a hypercare lead has invited to a programme. "
        "Ask your programme's hypercare lead to add you as a member with this e-mail address.",
    ),
    "not_member": (
        "This account is not a member of any programme",
        "Your account exists but has no active programme membership. Ask your programme's "
        "hypercare lead to add you back.",
    ),
    "unverified": (
        "Your identity provider has not verified this e-mail address",
        "Hypercare only matches an account by an e-mail address the identity provider has verified. "
        "Ask your IT service desk to verify it, then sign in again.",
    ),
    "ambiguous": (
        "More than one account has this e-mail address",
        "Hypercare cannot tell which account is yours. Ask a Hypercare administrator to give each "
        "account its own e-mail address.",
    ),
    "inactive": (
        "This account is deactivated",
        "Ask a Hypercare administrator to reactivate it.",
    ),
    "cancelled": (
        "Sign-in was cancelled",
        "The identity provider did not sign you in. You can try again.",
    ),
    "stale": (
        "This sign-in could not be completed",
        "It was already used, has expired, or was started in another browser. Start again from the login page.",
    ),
    "provider": (
        "The identity provider could not be reached or gave an invalid answer",
        "Try again in a few minutes; if it keeps failing, tell your Hypercare administrator.",
    ),
}


class ProviderUnavailable(Exception):
    """The issuer's discovery document could not be fetched or is not valid."""


def oidc_enabled() -> bool:
    """SSO is on when a client id and either an issuer or explicit endpoints are configured.
    Read at call time, so the URLs and the login page follow the settings of the moment."""
    explicit = settings.OIDC_OP_AUTHORIZATION_ENDPOINT and settings.OIDC_OP_TOKEN_ENDPOINT
    return bool(settings.OIDC_RP_CLIENT_ID and (settings.OIDC_ISSUER or explicit))


_metadata: dict[str, dict] = {}
_metadata_lock = threading.Lock()


def provider_metadata() -> dict:
    """The issuer's discovery document, fetched once per process and issuer."""
    issuer = settings.OIDC_ISSUER
    if not issuer:
        return {}
    with _metadata_lock:
        if issuer not in _metadata:
            url = issuer + "/.well-known/openid-configuration"
            try:
                response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
                response.raise_for_status()
                document = response.json()
            except (requests.RequestException, ValueError) as error:
                raise ProviderUnavailable(f"{url}: {error}") from error
            # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer asked for.
            if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != issuer:
                raise ProviderUnavailable(f"{url} names another issuer: {document.get('issuer')!r}")
            _metadata[issuer] = document
        return _metadata[issuer]


def oidc_setting(name: str, *default):
    """A mozilla-django-oidc setting: explicit settings win, endpoints are otherwise discovered."""
    value = getattr(settings, name, None)
    if value not in (None, ""):
        return value
    if name in DISCOVERED and settings.OIDC_ISSUER:
        discovered = provider_metadata().get(DISCOVERED[name])
        if discovered:
            return discovered
    if default:
        return default[0]
    raise ImproperlyConfigured(f"Setting {name} is not configured and the issuer does not advertise it.")


def end_session_url(request: HttpRequest) -> str | None:
    """The provider's logout URL for a session that signed in with OIDC, if it has one."""
    id_token = request.session.get("oidc_id_token")
    if not (settings.OIDC_END_PROVIDER_SESSION and id_token and oidc_enabled()):
        return None
    try:
        endpoint = oidc_setting("OIDC_OP_LOGOUT_ENDPOINT", None)
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL)),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _refuse(request: HttpRequest, reason: str, **details) -> None:
    request.session[REFUSAL_KEY] = reason
    audit("login.sso_refused", actor=None, reason=reason, **details)


def _require_enabled() -> None:
    if not oidc_enabled():
        raise Http404("Single sign-on is not configured.")


class AuthenticateView(oidc_views.OIDCAuthenticationRequestView):
    """GET /oidc/authenticate/: sends the browser to the provider's login page."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The library reads the endpoints here; ours are read (and discovered) in get().
        oidc_views.View.__init__(self, *args, **kwargs)

    def get(self, request):
        _require_enabled()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as error:
            logger.warning("OIDC discovery failed: %s", error)
            _refuse(request, "provider")
            return HttpResponseRedirect(reverse("oidc_refused"))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """GET /oidc/callback/: the provider sends the browser back here with a code."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self):
        return reverse("oidc_refused")

    def get(self, request):
        _require_enabled()
        if request.GET.get("error"):
            _refuse(request, "cancelled", error=request.GET["error"])
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            # An unknown or replayed state, a nonce or signature that does not check out.
            logger.warning("OIDC callback refused: %s", error)
            _refuse(request, "stale")
            return HttpResponseRedirect(self.failure_url)
        except (requests.RequestException, ProviderUnavailable, jwt.PyJWTError) as error:
            # The token or userinfo call failed, or the ID token is expired or malformed.
            logger.warning("OIDC callback failed: %s", error)
            _refuse(request, "provider")
            return HttpResponseRedirect(self.failure_url)

    def login_failure(self):
        if REFUSAL_KEY not in self.request.session:
            self.request.session[REFUSAL_KEY] = "provider"
        return super().login_failure()

    def login_success(self):
        audit("login.sso", actor=self.user, ip=self.request.META.get("REMOTE_ADDR", ""))
        self.request.session.pop(REFUSAL_KEY, None)
        return super().login_success()


@require_GET
def refused(request: HttpRequest) -> HttpResponse:
    """GET /oidc/refused/: why the last single sign-on did not open a session."""
    _require_enabled()
    reason = request.session.get(REFUSAL_KEY, "provider")
    title, advice = REFUSALS.get(reason, REFUSALS["provider"])
    return render(
        request,
        "registration/sso_refused.html",
        {"title": title, "advice": advice, "reason": reason},
        status=403,
    )


def _setting_property(name: str, *default):
    return property(lambda self: oidc_setting(name, *default))


class Backend(oidc_auth.OIDCAuthenticationBackend):
    """Matches the provider's verified e-mail to an invited account; never creates one.

    Only the callback view calls it (it passes the nonce); the library's settings are read
    when used, so the backend costs nothing while SSO is off.
    """

    OIDC_OP_TOKEN_ENDPOINT = _setting_property("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _setting_property("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _setting_property("OIDC_OP_JWKS_ENDPOINT", None)
    OIDC_RP_CLIENT_ID = _setting_property("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _setting_property("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _setting_property("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_IDP_SIGN_KEY = _setting_property("OIDC_RP_IDP_SIGN_KEY", None)

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not oidc_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def get_or_create_user(self, access_token, id_token, payload):
        """`payload` holds the ID token's claims, its signature and nonce already checked."""
        issuer = settings.OIDC_ISSUER
        if issuer and payload.get("iss", "").rstrip("/") != issuer:
            raise SuspiciousOperation(f"ID token from another issuer: {payload.get('iss')!r}")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token issued for another client.")
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub", payload.get("sub")) != payload.get("sub"):
            raise SuspiciousOperation("The userinfo answer is about another subject.")
        # Some providers (Entra ID) put the verification claim in the ID token only.
        claims = {**payload, **userinfo}
        return self.user_for_claims(claims)

    def user_for_claims(self, claims: dict):
        """The one invited, active account whose e-mail the provider has verified, or None (and
        the reason noted for the refusal page)."""
        email = (claims.get("email") or "").strip()
        verified = claims.get(settings.OIDC_EMAIL_VERIFIED_CLAIM)
        if not email or verified not in (True, "true", "True", 1):
            _refuse(self.request, "unverified", email=email, sub=claims.get("sub", ""))
            return None
        users = list(self.UserModel._default_manager.filter(email__iexact=email)[:2])
        if not users:
            _refuse(self.request, "unknown", email=email)
            return None
        if len(users) > 1:
            _refuse(self.request, "ambiguous", email=email)
            return None
        user = users[0]
        if not user.is_active:
            _refuse(self.request, "inactive", email=email)
            return None
        if not user.memberships.filter(is_active=True).exists():
            _refuse(self.request, "not_member", email=email)
            return None
        return user

    def get_user(self, user_id):
        return ModelBackend().get_user(user_id)


def form_action_origins() -> list[str]:
    """Origins the logout form may be redirected to (the provider's logout), for the page's CSP."""
    if not (settings.OIDC_END_PROVIDER_SESSION and oidc_enabled()):
        return []
    origins = []
    for url in (settings.OIDC_ISSUER, settings.OIDC_OP_LOGOUT_ENDPOINT):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins
