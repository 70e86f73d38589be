"""The operational handover pack: items, their documents, submission and acceptance by BAU."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from handover.models import HandoverItem, ItemKind, ItemStatus
from handover.services.permissions import can_accept_items, can_edit_item, deny, is_own_item, require
from handover.services.uploads import check_upload
from hypercare.access import ProgrammeAccess
from hypercare.audit import audit
from hypercare.models import Membership, Programme
from hypercare.notifications import notify
from hypercare.roles import Role


def _member_user(programme: Programme, user):
    if user is None:
        return None
    if not Membership.objects.active().filter(programme=programme, user=user).exists():
        raise ValidationError({"owner": "The owner must be a member of the programme."})
    return user


@transaction.atomic
def item_add(
    *,
    access: ProgrammeAccess,
    title: str,
    kind: str = ItemKind.OTHER,
    description: str = "",
    owner=None,
    due_date: date | None = None,
) -> HandoverItem:
    """Add a document to the handover checklist (leads)."""
    require(access.is_lead, access, "Only the programme's leads can change the handover checklist.")
    if not title.strip():
        raise ValidationError({"title": "Give the item a title."})
    if kind not in ItemKind.values:
        raise ValidationError({"kind": "Choose a kind of document."})
    position = (HandoverItem.objects.of(access.programme).aggregate(m=Max("position"))["m"] or 0) + 1
    item = HandoverItem.objects.create(
        programme=access.programme,
        kind=kind,
        title=title.strip()[:200],
        description=description.strip(),
        owner=_member_user(access.programme, owner),
        due_date=due_date,
        position=position,
    )
    audit("handover_item.added", actor=access.user, programme=access.programme, item=item.pk)
    return item


@transaction.atomic
def item_update(
    *,
    access: ProgrammeAccess,
    item: HandoverItem,
    title: str | None = None,
    description: str | None = None,
    owner=...,
    due_date=...,
) -> HandoverItem:
    """Change an item's title, description, owner or due date (leads)."""
    require(access.is_lead, access, "Only the programme's leads can change the handover checklist.")
    if title is not None:
        if not title.strip():
            raise ValidationError({"title": "Give the item a title."})
        item.title = title.strip()[:200]
    if description is not None:
        item.description = description.strip()
    if owner is not ...:
        item.owner = _member_user(access.programme, owner)
    if due_date is not ...:
        item.due_date = due_date
    item.save()
    audit("handover_item.changed", actor=access.user, programme=access.programme, item=item.pk)
    return item


@transaction.atomic
def item_remove(*, access: ProgrammeAccess, item: HandoverItem) -> None:
    require(access.is_lead, access, "Only the programme's leads can change the handover checklist.")
    audit(
        "handover_item.removed", actor=access.user, programme=access.programme, item=item.pk, title=item.title
    )
    item.delete()


@transaction.atomic
def item_attach(
    *,
    access: ProgrammeAccess,
    item: HandoverItem,
    document: UploadedFile | None = None,
    link: str = "",
) -> HandoverItem:
    """Supply the item's document (an upload, a link, or both): a missing or rejected item becomes a draft."""
    require(can_edit_item(access, item), access, "Only the item's owner or a lead can supply its document.")
    link = (link or "").strip()
    if document is None and not link:
        raise ValidationError({"document": "Upload the document or give a link to it."})
    if item.status == ItemStatus.ACCEPTED:
        raise ValidationError("This item is accepted; it cannot change any more.")
    check_upload(document, "document")
    if link:
        item.link = link
        item.full_clean(exclude=["programme", "owner", "decided_by", "document"])
    if document is not None:
        item.document_name = (document.name or "document")[:255]
        item.document.save("document", document, save=False)
    if item.status in (ItemStatus.MISSING, ItemStatus.REJECTED):
        item.status = ItemStatus.DRAFT
    item.save()
    audit("handover_item.document", actor=access.user, programme=access.programme, item=item.pk)
    return item


@transaction.atomic
def item_submit(*, access: ProgrammeAccess, item: HandoverItem) -> HandoverItem:
    """Submit a drafted item to BAU for acceptance."""
    require(can_edit_item(access, item), access, "Only the item's owner or a lead can submit it.")
    if not item.has_document:
        raise ValidationError({"document": "Supply the document before submitting the item."})
    won = HandoverItem.objects.filter(pk=item.pk, status__in=[ItemStatus.DRAFT, ItemStatus.REJECTED]).update(
        status=ItemStatus.SUBMITTED, updated_at=timezone.now()
    )
    if won != 1:
        raise ValidationError("Only a draft (or a rejected item with a new document) can be submitted.")
    item.refresh_from_db()
    approvers = [
        m.user
        for m in Membership.objects.active().filter(programme=access.programme).select_related("user")
        if Role.OPERATIONAL_OWNER in m.roles or {Role.BAU, Role.LEAD} <= set(m.roles)
    ]
    notify(
        programme=access.programme,
        recipients=approvers,
        kind="handover_item_submitted",
        key=f"handover-item-submitted:{item.pk}:{item.updated_at.isoformat()}",
        subject=f"Handover pack: “{item.title}” is ready for acceptance",
        link=f"/p/{access.programme.slug}/handover/",
    )
    audit("handover_item.submitted", actor=access.user, programme=access.programme, item=item.pk)
    return item


@transaction.atomic
def item_decide(
    *, access: ProgrammeAccess, item: HandoverItem, accept: bool, reason: str = "", at: datetime | None = None
) -> HandoverItem:
    """Accept or reject a submitted item (the operational owner or a BAU lead); a rejection needs a reason."""
    require(
        can_accept_items(access),
        access,
        "Only the operational owner or a BAU lead can accept handover items.",
    )
    if is_own_item(access, item):
        deny(access, "You own this item: another approver accepts or rejects it.")
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError({"reason": "Say why the item is rejected."})
    now = at or timezone.now()
    status = ItemStatus.ACCEPTED if accept else ItemStatus.REJECTED
    # Two approvers deciding at once: the conditional UPDATE lets exactly one win.
    won = HandoverItem.objects.filter(pk=item.pk, status=ItemStatus.SUBMITTED).update(
        status=status,
        rejection_reason="" if accept else reason,
        decided_by=access.user,
        decided_at=now,
        updated_at=now,
    )
    if won != 1:
        raise ValidationError("Only a submitted item can be accepted or rejected.")
    item.refresh_from_db()
    if item.owner_id:
        notify(
            programme=access.programme,
            recipients=[item.owner],
            kind="handover_item_decided",
            key=f"handover-item-decided:{item.pk}:{now.isoformat()}",
            subject=f"Handover pack: “{item.title}” was {status}",
            body=reason,
            link=f"/p/{access.programme.slug}/handover/",
            at=now,
        )
    audit("handover_item.decided", actor=access.user, programme=access.programme, item=item.pk, status=status)
    return item
