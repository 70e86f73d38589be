"""The lead's intake pages: the mailbox settings and the mails that need a look; the chat channels."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.roles import Role
from hypercare.site import absolute
from hypercare.views import apply_errors, require_lead
from intake import services
from intake.chat import services as chat_services
from intake.forms import ChatChannelForm, MailboxForm
from intake.models import ChatChannel, InboundMail, Mailbox, Outcome


def _require_lead_reader(access: ProgrammeAccess) -> None:
    """The intake page and its kept mails are the leads' (of a closed programme too, to read)."""
    if not access.has_role(Role.LEAD):
        raise PermissionDenied("Only the programme's hypercare leads can see the e-mail intake.")


@require_http_methods(["GET", "POST"])
@login_required
def mailbox(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    _require_lead_reader(access)
    if request.method == "POST":
        require_lead(access, request)  # a closed programme's leads still read the page
    programme = access.programme
    current = Mailbox.objects.filter(programme=programme).first()
    form = MailboxForm.for_mailbox(current, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password")
        try:
            services.mailbox_save(access=access, password=password, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "The intake mailbox is saved; it is read every minute.")
            return redirect("intake:mailbox", slug=slug)
    mails = InboundMail.objects.filter(programme=programme).defer("raw")
    context = {
        "access": access,
        "programme": programme,
        "form": form,
        "mailbox": current,
        "failed": list(mails.needing_attention().select_related("ticket")[:100]),
        "recent": list(
            mails.exclude(outcome=Outcome.FAILED).select_related("ticket").order_by("-received_at")[:25]
        ),
    }
    with timezone.override(programme.timezone):
        return render(request, "intake/mailbox.html", context, status=200 if not form.errors else 400)


@require_GET
@login_required
def mail_raw(request: HttpRequest, slug: str, mail_id: int) -> HttpResponse:
    """A kept mail as it arrived (message/rfc822), always downloaded, never shown."""
    access = get_programme_for(request.user, slug)
    _require_lead_reader(access)
    mail = get_object_or_404(InboundMail, pk=mail_id, programme=access.programme)
    response = HttpResponse(bytes(mail.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="mail-{mail.pk}.eml"'
    return response


@require_POST
@login_required
def mail_retry(request: HttpRequest, slug: str, mail_id: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    mail = get_object_or_404(InboundMail, pk=mail_id, programme=access.programme)
    try:
        result = services.inbound_mail_retry(access=access, mail=mail)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if result is not None and result.outcome == Outcome.FAILED:
            messages.error(request, f"It failed again: {result.error}")
        elif result is not None:
            messages.success(request, f"Processed: {result.get_outcome_display().lower()}.")
    return redirect("intake:mailbox", slug=slug)


# War-room chat ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def chat(request: HttpRequest, slug: str) -> HttpResponse:
    """The lead links Slack channels and Teams outgoing webhooks to the programme."""
    access = get_programme_for(request.user, slug)
    _require_lead_reader(access)
    form = ChatChannelForm(request.POST or None)
    if request.method == "POST":
        require_lead(access, request)
        if form.is_valid():
            try:
                chat_services.chat_channel_link(access=access, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "The channel is linked: members can log issues from it.")
                return redirect("intake:chat", slug=slug)
    context = {
        "access": access,
        "programme": access.programme,
        "form": form,
        "channels": ChatChannel.objects.filter(programme=access.programme).select_related("created_by"),
        "slack_url": absolute(reverse("integrations:slack"), request),
        "teams_url": absolute(reverse("integrations:teams"), request),
    }
    return render(request, "intake/chat.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def chat_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    channel = get_object_or_404(ChatChannel, pk=pk, programme=access.programme)
    chat_services.chat_channel_unlink(access=access, channel=channel)
    messages.success(request, f"{channel} is unlinked: nothing sent there is logged any more.")
    return redirect("intake:chat", slug=slug)
