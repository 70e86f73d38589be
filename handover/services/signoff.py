"""The exit sign-off: separation of duties, the frozen and hashed record, revocation, closing the
programme, and the notice that the gate is green."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from handover.criteria import gate_evaluate
from handover.models import SignOff, SignOffKind
from handover.services.permissions import deny, require
from hypercare import services as core_services
from hypercare.access import ProgrammeAccess
from hypercare.audit import audit
from hypercare.models import Membership, Programme, ProgrammeStatus
from hypercare.notifications import notify
from hypercare.roles import SIGNATORIES, Role, signatory_conflicts


def signatory_memberships(programme: Programme) -> list[Membership]:
    """Every active member who must sign: the business sponsors and the operational owners."""
    return [
        m
        for m in Membership.objects.active().filter(programme=programme).select_related("user")
        if set(m.roles) & SIGNATORIES
    ]


def signoff_refusal(access: ProgrammeAccess) -> str:
    """Why this member may not sign the exit off ("" when they may): the page shows it in place of
    the form, and signoff_create refuses with it.

    Separation of duties: a signatory holds no delivery role (lead, desk analyst, engineer), and
    the sponsor's and the operational owner's sign-offs come from two different people.
    """
    if not access.can_sign_off:
        return "Only the business sponsor and the operational owner sign off."
    problems = signatory_conflicts(access.roles)
    if problems:
        return f"You cannot sign off. {' '.join(problems)} A programme administrator can change the roles."
    return ""


def signoff_payload(sign_off: SignOff) -> dict:
    """The signed content: everything the hash covers."""
    signed_at = sign_off.signed_at.astimezone(UTC).isoformat()
    return {
        "programme": sign_off.programme.slug,
        "kind": sign_off.kind,
        "signatory": sign_off.signatory.get_username(),
        "role": sign_off.role,
        "signed_at": signed_at,
        "ip_address": str(sign_off.ip_address) if sign_off.ip_address else None,
        "user_agent": sign_off.user_agent,
        "gate_green": sign_off.gate_green,
        "snapshot": sign_off.snapshot,
        "justifications": sign_off.justifications,
        "revokes": sign_off.revokes_id,
        "reason": sign_off.reason,
    }


def content_hash(payload: dict) -> str:
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def signoff_verify(sign_off: SignOff) -> bool:
    """True when the stored content still hashes to the stored hash."""
    return content_hash(signoff_payload(sign_off)) == sign_off.content_hash


def _reauthenticate(access: ProgrammeAccess, password: str, request=None) -> None:
    """Check the signatory's password again. With the request, through `authenticate`, so failures
    count towards the login throttle (django-axes) like failed logins do."""
    user = access.user
    if request is not None and password:
        from django.contrib.auth import authenticate

        again = authenticate(request, username=user.get_username(), password=password)
        ok = again is not None and again.pk == user.pk
    else:
        ok = bool(password) and user is not None and user.check_password(password)
    if not ok:
        audit("signoff.reauthentication_failed", actor=user, programme=access.programme)
        raise ValidationError({"password": "That is not your password. Signing needs your password again."})


def _snapshot(programme: Programme, gate) -> dict:
    from handover.selectors import current_phase

    forecast, note = gate.forecast
    phase = current_phase(programme, today=gate.context.today)
    pack = gate.context.pack
    return {
        "programme": {
            "name": programme.name,
            "slug": programme.slug,
            "go_live_date": programme.go_live_date.isoformat(),
            "planned_exit_date": programme.planned_exit_date.isoformat(),
            "first_month_end_close": programme.first_month_end_close.isoformat(),
            "status": programme.status,
        },
        "evaluated_at": gate.at.astimezone(UTC).isoformat(),
        "green": gate.green,
        "forecast_green_on": forecast.isoformat() if forecast else None,
        "forecast_note": note,
        "criteria": [result.as_dict() for result in gate.results],
        "pack": {
            key: pack[key] for key in ("total", "accepted", "submitted", "draft", "missing", "rejected")
        },
        "kt_phase": phase.phase if phase else None,
    }


def _record(
    *,
    access: ProgrammeAccess,
    programme: Programme,
    kind: str,
    at: datetime,
    ip_address: str | None,
    user_agent: str,
    justifications: dict[str, str],
    revokes: SignOff | None = None,
    reason: str = "",
) -> SignOff:
    gate = gate_evaluate(programme=programme, at=at)
    if kind == SignOffKind.SIGN_OFF:
        failing = gate.failing
        missing = [r for r in failing if not (justifications.get(str(r.criterion.pk)) or "").strip()]
        if missing:
            raise ValidationError(
                {
                    "justifications": [
                        f"The gate is not green: write why you sign although “{r.criterion.title}” is "
                        f"{r.status_label.lower()}."
                        for r in missing
                    ]
                }
            )
        justifications = {
            str(r.criterion.pk): justifications[str(r.criterion.pk)].strip()[:4000] for r in failing
        }
    else:
        justifications = {}
    roles = sorted(set(access.roles) & SIGNATORIES)
    sign_off = SignOff(
        programme=programme,
        kind=kind,
        signatory=access.user,
        role="+".join(roles),
        signed_at=at,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:300],
        gate_green=gate.green,
        snapshot=_snapshot(programme, gate),
        justifications=justifications,
        revokes=revokes,
        reason=reason,
    )
    sign_off.content_hash = content_hash(signoff_payload(sign_off))
    sign_off.save()
    return sign_off


def _programme_locked(programme: Programme) -> Programme:
    # Two signatories signing at the same moment: the row lock makes the second wait and see the first.
    return Programme.objects.select_for_update().get(pk=programme.pk)


def _signatories_complete(programme: Programme) -> bool:
    signatories = signatory_memberships(programme)
    roles = {role for m in signatories for role in m.roles}
    if Role.SPONSOR not in roles or Role.OPERATIONAL_OWNER not in roles:
        return False
    if any(signatory_conflicts(m.roles) for m in signatories):
        return False  # a sponsor who is also the owner or on the project team: never closes the exit
    signed = set(SignOff.objects.of(programme).standing().values_list("signatory_id", flat=True))
    return all(m.user_id in signed for m in signatories)


def signoff_create(
    *,
    access: ProgrammeAccess,
    password: str,
    justifications: Mapping | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    request=None,
    at: datetime | None = None,
) -> SignOff:
    """Sign the exit off (sponsors and operational owners), re-asking for the password.

    Freezes every criterion's value and evidence with a SHA-256 content hash. While the gate is
    not green each failing criterion needs a written justification. When every required
    signatory has signed, the programme is closed. Separation of duties (signoff_refusal): a
    member who also delivers hypercare, or who holds both signatory roles, is refused (403).
    """
    require(access.can_sign_off, access, "Only the business sponsor and the operational owner sign off.")
    refusal = signoff_refusal(access)
    if refusal:
        deny(access, refusal)
    # Outside the transaction: a failed attempt must stay recorded for the login throttle.
    _reauthenticate(access, password, request)
    with transaction.atomic():
        return _signoff_create(
            access=access, justifications=justifications, ip_address=ip_address, user_agent=user_agent, at=at
        )


def _signoff_create(*, access, justifications, ip_address, user_agent, at) -> SignOff:
    programme = _programme_locked(access.programme)
    if programme.status == ProgrammeStatus.CLOSED:
        raise ValidationError("This programme is closed already.")
    if SignOff.objects.of(programme).standing().filter(signatory=access.user).exists():
        raise ValidationError("You have signed off already. Revoke your sign-off first to sign again.")
    now = at or timezone.now()
    normalised = {str(key): str(value or "") for key, value in (justifications or {}).items()}
    sign_off = _record(
        access=access,
        programme=programme,
        kind=SignOffKind.SIGN_OFF,
        at=now,
        ip_address=ip_address,
        user_agent=user_agent,
        justifications=normalised,
    )
    audit(
        "signoff.signed",
        actor=access.user,
        programme=programme,
        sign_off=sign_off.pk,
        gate_green=sign_off.gate_green,
        ip=ip_address,
        hash=sign_off.content_hash,
    )
    others = [m.user for m in Membership.objects.active().filter(programme=programme).select_related("user")
              if (m.has_role(Role.LEAD) or set(m.roles) & SIGNATORIES) and m.user_id != access.user.pk]  # fmt: skip
    green = "" if sign_off.gate_green else " while the gate was not green"
    notify(
        programme=programme,
        recipients=others,
        kind="exit_signed",
        key=f"exit-signed:{sign_off.pk}",
        subject=f"{access.user.get_full_name() or access.user.get_username()} signed off {programme.name}{green}",
        link=f"/p/{programme.slug}/sign-off/",
        at=now,
    )
    if _signatories_complete(programme):
        core_services.programme_close(programme=programme, by=access.user, at=now)
    elif programme.status in (ProgrammeStatus.PLANNED, ProgrammeStatus.ACTIVE):
        core_services.programme_enter_exit_review(programme=programme, by=access.user, at=now)
    _copy_status(programme, access.programme)
    return sign_off


def _copy_status(programme: Programme, to: Programme) -> None:
    # The caller's programme object (the access's) shows the new state for the rest of the request.
    to.status, to.closed_at = programme.status, programme.closed_at
    to.exit_review_started_at = programme.exit_review_started_at


def signoff_revoke(
    *,
    access: ProgrammeAccess,
    sign_off: SignOff,
    password: str,
    reason: str,
    ip_address: str | None = None,
    user_agent: str = "",
    request=None,
    at: datetime | None = None,
) -> SignOff:
    """Revoke one's own sign-off with a reason: a new record, the original stays as it was."""
    require(access.can_sign_off, access, "Only the business sponsor and the operational owner sign off.")
    if sign_off.programme_id != access.programme.pk:
        raise ValidationError("No such sign-off in this programme.")
    if sign_off.signatory_id != access.user.pk:
        deny(access, "Only the person who signed can revoke their sign-off.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why you revoke your sign-off."})
    _reauthenticate(access, password, request)
    with transaction.atomic():
        return _signoff_revoke(
            access=access,
            sign_off=sign_off,
            reason=reason,
            ip_address=ip_address,
            user_agent=user_agent,
            at=at,
        )


def _signoff_revoke(*, access, sign_off, reason, ip_address, user_agent, at) -> SignOff:
    programme = _programme_locked(access.programme)
    if sign_off.kind != SignOffKind.SIGN_OFF or SignOff.objects.filter(revokes=sign_off).exists():
        raise ValidationError("This sign-off is revoked already.")
    now = at or timezone.now()
    revocation = _record(
        access=access,
        programme=programme,
        kind=SignOffKind.REVOCATION,
        at=now,
        ip_address=ip_address,
        user_agent=user_agent,
        justifications={},
        revokes=sign_off,
        reason=reason.strip()[:4000],
    )
    audit(
        "signoff.revoked",
        actor=access.user,
        programme=programme,
        sign_off=sign_off.pk,
        revocation=revocation.pk,
    )
    if programme.status == ProgrammeStatus.CLOSED:
        core_services.programme_reopen(programme=programme, by=access.user)
        _copy_status(programme, access.programme)
    return revocation


def gate_green_notify(*, programme: Programme, at: datetime | None = None) -> bool:
    """Tell the leads and signatories, once, that the exit gate is green. Returns whether it is green."""
    gate = gate_evaluate(programme=programme, at=at)
    if not gate.green:
        return False
    recipients = [
        m.user
        for m in Membership.objects.active().filter(programme=programme).select_related("user")
        if m.has_role(Role.LEAD) or set(m.roles) & SIGNATORIES
    ]
    notify(
        programme=programme,
        recipients=recipients,
        kind="exit_gate_green",
        key=f"exit-gate-green:{programme.pk}",
        subject=f"The exit gate of {programme.name} is green: ready for sign-off",
        link=f"/p/{programme.slug}/exit-gate/",
        at=gate.at,
    )
    return True
