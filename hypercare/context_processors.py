from hypercare.models import Membership


def navigation(request):
    """The signed-in user's programmes and roles, for the navigation bar (one query, lazily)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships():
        # A programme page already loaded them with its access check (hypercare.access).
        loaded = getattr(user, "_hypercare_memberships", None)
        if loaded is not None:
            return loaded
        return list(
            Membership.objects.active()
            .filter(user=user)
            .select_related("programme")
            .order_by("programme__name")
        )

    return {"nav_memberships": memberships}
