"""Pages of the core: the programme list, a programme's home, its calendar and its members."""

import csv
from itertools import chain
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import defaults
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hypercare import oidc, overview, services
from hypercare.access import ProgrammeAccess, ProgrammeClosed, get_programme_for
from hypercare.audit import CSV_COLUMNS, audit
from hypercare.audit import csv_rows as audit_csv_rows
from hypercare.audit import entries_for as audit_entries_for
from hypercare.forms import AuditFilterForm, CalendarForm, InvitationAccountForm, MemberForm, ProgrammeForm
from hypercare.models import BusinessCalendar, Invitation, Membership, Programme, SignatoryRoleChange
from hypercare.pagination import FastPaginator
from hypercare.roles import Role


def apply_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names where the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def require_lead(access: ProgrammeAccess, request: HttpRequest) -> None:
    """A lead's write: refused to everyone else, and to everyone once the programme is closed."""
    if not access.is_lead:
        access.refuse("Only the programme's hypercare leads can do this.")


def may_administer(access: ProgrammeAccess, request: HttpRequest) -> bool:
    """Leads manage a running programme's members and settings; staff (programme administrators)
    any programme's, closed ones included."""
    return access.is_lead or request.user.is_staff


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """403 page that says why, and an audit line for every denial. A write refused because the
    programme is closed gets 409 and a page that points to the BAU service desk."""
    message = str(exception) if exception else "You do not have permission to do this."
    audit("permission.denied", actor=request.user, path=request.path, method=request.method, reason=message)
    if isinstance(exception, ProgrammeClosed):
        return render(
            request,
            "hypercare/closed.html",
            {"what": exception.what, "closed": exception.programme},
            status=409,
        )
    return render(request, "403.html", {"message": message}, status=403)


class LoginView(auth_views.LoginView):
    """The login page: the SSO button when single sign-on is configured, and the password form
    (for staff only with HYPERCARE_PASSWORD_LOGIN=staff-only). Without a `next`, a member of
    exactly one programme lands in it rather than on a chooser with one card."""

    def get_default_redirect_url(self) -> str:
        programmes = list(Programme.objects.visible_to(self.request.user)[:2])
        if len(programmes) == 1:
            return programmes[0].get_absolute_url()
        return super().get_default_redirect_url()

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_enabled": oidc.oidc_enabled(),
            "password_staff_only": settings.HYPERCARE_PASSWORD_LOGIN == "staff-only",
        }


class LogoutView(auth_views.LogoutView):
    """Ends the Hypercare session; a session opened by single sign-on then goes on to the identity
    provider's logout (when it has one and OIDC_END_PROVIDER_SESSION is on), which sends the
    browser back to the login page."""

    def post(self, request, *args, **kwargs):
        provider_logout = oidc.end_session_url(request)
        response = super().post(request, *args, **kwargs)
        return redirect(provider_logout) if provider_logout else response


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404: under /api/ the JSON an API client reads (a path no route matches, e.g. a non-numeric
    id), elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    programmes = Programme.objects.visible_to(request.user).annotate(
        member_count=Count("memberships", distinct=True)
    )
    return render(request, "hypercare/home.html", {"programmes": programmes})


@require_GET
@login_required
def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    role_counts = dict.fromkeys(Role.values, 0)
    team_counts = {"project": 0, "bau": 0}
    for roles, team in Membership.objects.active().filter(programme=programme).values_list("roles", "team"):
        for role in roles:
            role_counts[role] = role_counts.get(role, 0) + 1
        team_counts[team] = team_counts.get(team, 0) + 1
    calendar = BusinessCalendar.objects.filter(programme=programme).first()
    return render(
        request,
        "hypercare/programme.html",
        {
            "access": access,
            "programme": programme,
            "panels": overview.panels(access),
            **overview.figures(access),
            "days_in": (timezone.localdate() - programme.go_live_date).days,
            "days_planned": (programme.planned_exit_date - programme.go_live_date).days,
            "role_counts": [(Role(role).label, count) for role, count in role_counts.items()],
            "team_counts": team_counts,
            "calendar": calendar,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def programme_create(request: HttpRequest) -> HttpResponse:
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(**form.cleaned_data, by=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Programme {programme.name} created.")
            return redirect(programme)
    return render(request, "hypercare/programme_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@login_required
def programme_edit(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    if not may_administer(access, request):
        require_lead(access, request)
    programme = access.programme
    form = ProgrammeForm(request.POST or None, instance=Programme.objects.get(pk=programme.pk))
    form.fields["slug"].disabled = True
    if request.method == "POST" and form.is_valid():
        changes = {key: value for key, value in form.cleaned_data.items() if key != "slug"}
        try:
            services.programme_update(programme=programme, by=request.user, **changes)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Programme saved.")
            return redirect(programme)
    return render(
        request, "hypercare/programme_form.html", {"form": form, "programme": programme, "access": access}
    )


@require_http_methods(["GET", "POST"])
@login_required
def calendar_edit(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    calendar = BusinessCalendar.objects.prefetch_related("holidays").get(programme=programme)
    if request.method == "POST":
        require_lead(access, request)
        form = CalendarForm(request.POST)
        if form.is_valid():
            try:
                services.calendar_update(
                    programme=programme,
                    working_hours=form.working_hours(),
                    holidays=form.cleaned_data["holidays"],
                    holiday_country=form.cleaned_data["holiday_country"].strip().upper(),
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    "Business calendar saved. Open tickets on business-hours clocks are being recomputed.",
                )
                return redirect("hypercare:calendar", slug=programme.slug)
    else:
        form = CalendarForm(initial=CalendarForm.initial_for(calendar))
    return render(
        request,
        "hypercare/calendar.html",
        {"access": access, "programme": programme, "calendar": calendar, "form": form},
    )


@require_http_methods(["GET", "POST"])
@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    form = MemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_administer(access, request):
            require_lead(access, request)
        if form.is_valid():
            try:
                done = _member_add_or_invite(request, programme, form)
            except ValidationError as error:
                apply_errors(form, error)
            except PermissionDenied as error:
                # The role rules (own roles, signatory roles): said on the form, nothing stored.
                form.add_error(None, str(error))
                status = 403
            else:
                if done is not None:
                    messages.success(request, done)
                    return redirect("hypercare:members", slug=programme.slug)
        status = status if status != 200 else 400
    memberships = Membership.objects.active().filter(programme=programme).select_related("user")
    return render(
        request,
        "hypercare/members.html",
        {
            "access": access,
            "programme": programme,
            "memberships": memberships,
            "form": form,
            "may_administer": may_administer(access, request),
            "signatory_changes": SignatoryRoleChange.objects.of(programme).for_list(),
            "invitations": (
                Invitation.objects.filter(
                    programme=programme, accepted_at__isnull=True, expires_at__gt=timezone.now()
                ).order_by("-created_at")
                if may_administer(access, request)
                else []
            ),
        },
        status=status,
    )


def _member_add_or_invite(request: HttpRequest, programme: Programme, form: MemberForm) -> str | None:
    """Staff add any account directly (by username); a lead invites by e-mail, and the answer is the
    same whoever owns the address. Returns the message to show, or None after a form error."""
    data = form.cleaned_data
    if request.user.is_staff:
        if not data["username"]:
            form.add_error("username", "Staff add an account by its username.")
            return None
        membership = services.member_add(programme=programme, by=request.user, **data)
        return f"{membership.user.username} is now a member."
    done = services.member_add_or_invite(programme=programme, by=request.user, **data)
    if isinstance(done, Invitation):
        return services.INVITATION_SENT.format(email=done.email)
    return f"The roles of {done.user.username} are saved."


@require_POST
@login_required
def member_remove(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    """A lead (or staff) removes a member; the refusals (last lead, a standing signatory, oneself)
    are said on the members page, and nothing changes."""
    access = get_programme_for(request.user, slug)
    if not may_administer(access, request):
        require_lead(access, request)
    try:
        services.member_remove(programme=access.programme, username=username, by=request.user)
    except Membership.DoesNotExist:
        raise Http404("No such member of this programme.") from None
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request, f"{username} is no longer a member; their open tickets are back in the queue."
        )
    return redirect("hypercare:members", slug=access.programme.slug)


# ---------------------------------------------------------------------------------------------
# Your API token


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Your API token: when it was issued, when it stops working; issue one (its key is shown once)
    or revoke it."""
    from rest_framework.authtoken.models import Token

    new_key = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            revoked = services.api_token_revoke(user=request.user, reason="revoked in the browser")
            messages.success(request, "Your API token is revoked." if revoked else "You had no API token.")
            return redirect("hypercare:api_tokens")
        if action != "issue":
            return HttpResponse("Choose issue or revoke.", status=400, content_type="text/plain")
        new_key = services.api_token_issue(user=request.user, reason="issued in the browser").key
    tokens = [
        {"token": token, "ending": token.key[-4:], "expires_at": services.api_token_expires_at(token)}
        for token in Token.objects.filter(user=request.user)
    ]
    return render(
        request,
        "hypercare/api_tokens.html",
        {"tokens": tokens, "new_key": new_key, "lifetime_days": settings.HYPERCARE_API_TOKEN_DAYS},
    )


# ---------------------------------------------------------------------------------------------
# Invitations


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation e-mail. An address that has an account accepts while logged in
    with that account; a new address creates its account here (username and password)."""
    found = services.invitation_for_token(token)
    if found is None:
        return render(request, "hypercare/invitation.html", {"invalid": True}, status=404)
    context = {"invitation": found, "programme": found.programme}
    if services.invitation_needs_account(found):
        form = InvitationAccountForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = services.invitation_accept_new_account(
                    invitation=found,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    name=form.cleaned_data["name"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                auth_login(request, user, backend="hypercare.auth.ModelBackend")
                messages.success(request, f"Welcome to {found.programme.name}.")
                return redirect(found.programme)
        status = 400 if request.method == "POST" else 200
        return render(request, "hypercare/invitation.html", {**context, "form": form}, status=status)
    if not request.user.is_authenticated:
        return render(request, "hypercare/invitation.html", {**context, "log_in": True})
    if (request.user.email or "").lower() != found.email.lower():
        return render(request, "hypercare/invitation.html", {**context, "other_account": True}, status=403)
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=found, user=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return render(request, "hypercare/invitation.html", context, status=409)
        messages.success(request, f"You are now a member of {found.programme.name}.")
        return redirect(found.programme)
    return render(request, "hypercare/invitation.html", {**context, "accept": True})


# ---------------------------------------------------------------------------------------------
# The audit trail


def require_audit_reader(access: ProgrammeAccess, request: HttpRequest) -> None:
    """The audit trail is for the programme's leads (a closed programme's too) and staff."""
    if not (access.has_role(Role.LEAD) or request.user.is_staff):
        raise PermissionDenied("Only the programme's hypercare leads and staff read the audit trail.")


AUDIT_PAGE_SIZE = 50


@require_GET
@login_required
def audit_trail(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_audit_reader(access, request)
    programme = access.programme
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entries_for(programme, **filters)
    page = FastPaginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "hypercare/audit.html",
        {
            "access": access,
            "programme": programme,
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
        status=200 if not form.is_bound or form.is_valid() else 400,
    )


@require_GET
@login_required
def audit_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The audit trail as CSV, with the page's filters."""
    access = get_programme_for(request.user, slug)
    require_audit_reader(access, request)
    programme = access.programme
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
            status=400,
            content_type="text/plain",
        )
    entries = audit_entries_for(programme, **(form.cleaned_data if form.is_bound else {}))
    writer = csv.writer(_Echo())
    rows = chain(
        [CSV_COLUMNS], audit_csv_rows(entries.iterator(chunk_size=2000), ZoneInfo(programme.timezone))
    )
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{programme.slug}-audit.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value
