"""Response headers that make injected content inert."""

from django.conf import settings

from hypercare.oidc import form_action_origins

# No inline scripts or styles anywhere: htmx and our own JS come from /static/.
DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        # The browsable API and the Swagger page ship inline scripts of their own.
        if (
            not request.path.startswith(("/api/docs", "/admin/"))
            and "Content-Security-Policy" not in response
        ):
            policy = self.policy
            sso_origins = form_action_origins()
            if sso_origins:
                # Logging out may continue to the identity provider's logout page.
                policy = policy.replace("form-action 'self'", "form-action 'self' " + " ".join(sso_origins))
            response["Content-Security-Policy"] = policy
        return response
