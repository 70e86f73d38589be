"""REST API of the handover app, under /api/v1/programmes/{slug}/: the exit gate and its criteria,
sign-offs, the handover pack, runbooks and the knowledge-transfer plan."""

from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from handover import services
from handover.criteria import gate_evaluate
from handover.models import ExitCriterion, HandoverItem, Runbook, RunbookStatus, SignOff
from handover.selectors import current_phase, hypercare_clock, kt_measured_phase, kt_rows, measured_phase
from handover.serializers import (
    AttestationSerializer,
    AttestSerializer,
    ExitCriterionSerializer,
    ExitCriterionUpdateSerializer,
    ExitGateSerializer,
    HandoverItemCreateSerializer,
    HandoverItemSerializer,
    HandoverItemUpdateSerializer,
    ItemRejectSerializer,
    KnowledgeTransferPlanSerializer,
    KnowledgeTransferSerializer,
    RunbookCreateSerializer,
    RunbookSerializer,
    RunbookUpdateSerializer,
    SignOffCreateSerializer,
    SignOffRevokeSerializer,
    SignOffSerializer,
)
from handover.views import client_ip
from hypercare.api import ProgrammeScopedMixin, StateConflict, as_drf_error, service_refusals
from hypercare.parsers import JSONParser
from metrics.selectors import Window, bau_share
from tickets.models import KnownIssue, Ticket


class ExitGateView(ProgrammeScopedMixin, APIView):
    """The exit gate now: every criterion with its status, measured value, threshold, evidence and
    forecast, the gate's forecast (and whether it falls after the planned exit), and the
    knowledge-transfer phase planned and the one the handling data shows."""

    @extend_schema(
        responses={
            200: ExitGateSerializer,
            401: OpenApiResponse(description="Not authenticated."),
            404: OpenApiResponse(description="No such programme, or not a member of it."),
        }
    )
    def get(self, request, slug):
        gate = gate_evaluate(programme=self.programme)
        phase = current_phase(self.programme, today=gate.context.today)
        clock = hypercare_clock(self.programme, today=gate.context.today)
        data = gate.as_dict() | {
            "kt_phase": phase.phase if phase else None,
            "kt_phase_measured": measured.phase if (measured := measured_phase(gate.results)) else None,
            "days_in_hypercare": clock.days_in,
            "days_planned": clock.days_planned,
            "pack": gate.context.pack,
        }
        return Response(ExitGateSerializer(data).data)


class SignOffViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Sign-offs and revocations of a programme. They are created, never edited or deleted.

    Signing (sponsors and operational owners) needs the password again; while the gate is not
    green, a justification for every failing criterion.
    """

    lookup_value_regex = "[0-9]+"  # a non-numeric id is a 404, not a failed integer lookup
    serializer_class = SignOffSerializer
    queryset = SignOff.objects.none()  # for the schema only: get_queryset scopes to the programme
    filter_backends = []

    def get_queryset(self):
        return SignOff.objects.of(self.programme).for_list().order_by("signed_at", "pk")

    @extend_schema(
        request=SignOffCreateSerializer,
        responses={
            201: SignOffSerializer,
            400: OpenApiResponse(description="Wrong password, or a missing justification."),
            403: OpenApiResponse(description="Only sponsors and operational owners sign off."),
        },
    )
    def create(self, request, slug):
        payload = SignOffCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            record = services.signoff_create(
                access=self.access,
                password=payload.validated_data["password"],
                justifications=payload.validated_data.get("justifications") or {},
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                request=request._request,
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(SignOffSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SignOffRevokeSerializer,
        responses={
            201: SignOffSerializer,
            400: OpenApiResponse(description="Wrong password, no reason, or already revoked."),
            403: OpenApiResponse(description="Only the signatory can revoke their sign-off."),
        },
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, slug, pk=None):
        """Revoke one's own sign-off: a new revocation record; the original stays."""
        record = self.get_object()
        payload = SignOffRevokeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            revocation = services.signoff_revoke(
                access=self.access,
                sign_off=record,
                password=payload.validated_data["password"],
                reason=payload.validated_data["reason"],
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                request=request._request,
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(SignOffSerializer(revocation).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# Handover pack

UNAUTHENTICATED = OpenApiResponse(description="Not authenticated.")
PROGRAMME_404 = OpenApiResponse(description="No such programme for you.")
CLOSED_409 = "or the programme is closed (its handover is a record now)"


def _not_found(what: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"No such programme for you, or no such {what} in it.")


@extend_schema_view(
    list=extend_schema(
        summary="Items of the handover pack",
        description="Every member reads the checklist.",
        responses={200: HandoverItemSerializer(many=True), 401: UNAUTHENTICATED, 404: PROGRAMME_404},
    ),
    retrieve=extend_schema(
        summary="A handover item",
        responses={200: HandoverItemSerializer, 401: UNAUTHENTICATED, 404: _not_found("item")},
    ),
)
class HandoverItemViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The operational handover pack: leads add and edit items, the item's owner (or a lead) supplies
    the document and submits it, the operational owner or a BAU lead accepts or rejects it."""

    lookup_value_regex = "[0-9]+"
    serializer_class = HandoverItemSerializer
    queryset = HandoverItem.objects.none()
    filter_backends = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return HandoverItem.objects.none()
        return HandoverItem.objects.of(self.programme).for_list().order_by("position", "pk")

    def fresh(self, item: HandoverItem, code: int = status.HTTP_200_OK) -> Response:
        return Response(HandoverItemSerializer(self.get_queryset().get(pk=item.pk)).data, status=code)

    @extend_schema(
        summary="Add an item to the handover pack",
        request=HandoverItemCreateSerializer,
        responses={
            201: HandoverItemSerializer,
            400: OpenApiResponse(description="Bad fields, by name (an owner who is not a member: `owner`)."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Only the programme's leads change the checklist."),
            404: PROGRAMME_404,
            409: OpenApiResponse(description=f"Refused: {CLOSED_409}."),
        },
    )
    def create(self, request, slug):
        if not self.access.is_lead:
            self.access.refuse("Only the programme's leads can change the handover checklist.")
        payload = HandoverItemCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            item = services.item_add(access=self.access, **payload.validated_data)
        return self.fresh(item, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a handover item, or give the link to its document",
        description="Leads edit `title`, `description`, `owner` and `due_date`; the item's owner or a lead "
        "gives `link`, which makes a missing or rejected item a draft. All of it or nothing is saved.",
        request=HandoverItemUpdateSerializer,
        responses={
            200: HandoverItemSerializer,
            400: OpenApiResponse(description="Bad fields, by name."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(
                description="Neither a lead nor the item's owner; or an edit besides `link` by a non-lead."
            ),
            404: _not_found("item"),
            409: OpenApiResponse(description=f"The item is accepted and cannot change, {CLOSED_409}."),
        },
    )
    @transaction.atomic
    def partial_update(self, request, slug, pk=None):
        item = self.get_object()
        if not services.can_edit_item(self.access, item):
            self.access.refuse("Only the item's owner or a lead can change it.")
        payload = HandoverItemUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        edits = {name: data[name] for name in HandoverItemUpdateSerializer.EDIT_FIELDS if name in data}
        with service_refusals():
            if edits:
                services.item_update(access=self.access, item=item, **edits)
            if "link" in data:
                services.item_attach(access=self.access, item=item, link=data["link"])
        return self.fresh(item)

    @extend_schema(
        summary="Submit an item for acceptance",
        description="The item's owner or a lead, once it has a document; the approvers are notified.",
        request=None,
        responses={
            200: HandoverItemSerializer,
            400: OpenApiResponse(description="`document`: the item has no document or link yet."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Neither a lead nor the item's owner."),
            404: _not_found("item"),
            409: OpenApiResponse(
                description=f"Not a draft (or a rejected item with a new document), {CLOSED_409}."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, slug, pk=None):
        item = self.get_object()
        if not services.can_edit_item(self.access, item):
            self.access.refuse("Only the item's owner or a lead can submit it.")
        with service_refusals():
            services.item_submit(access=self.access, item=item)
        return self.fresh(item)

    def _decide(self, item: HandoverItem, *, accept: bool, reason: str = "") -> Response:
        with service_refusals():
            services.item_decide(access=self.access, item=item, accept=accept, reason=reason)
        return self.fresh(item)

    def _require_approver(self) -> HandoverItem:
        item = self.get_object()
        if not services.can_accept_items(self.access):
            self.access.refuse("Only the operational owner or a BAU lead can accept handover items.")
        return item

    @extend_schema(
        summary="Accept a submitted item",
        description="The operational owner or a BAU lead, never the item's own owner.",
        request=None,
        responses={
            200: HandoverItemSerializer,
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Not an approver, or the approver owns the item."),
            404: _not_found("item"),
            409: OpenApiResponse(description=f"The item is not submitted (already decided?), {CLOSED_409}."),
        },
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, slug, pk=None):
        return self._decide(self._require_approver(), accept=True)

    @extend_schema(
        summary="Reject a submitted item, saying why",
        description="The operational owner or a BAU lead, never the item's own owner; the owner is told why.",
        request=ItemRejectSerializer,
        responses={
            200: HandoverItemSerializer,
            400: OpenApiResponse(description="`reason` is missing or blank."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Not an approver, or the approver owns the item."),
            404: _not_found("item"),
            409: OpenApiResponse(description=f"The item is not submitted (already decided?), {CLOSED_409}."),
        },
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, slug, pk=None):
        item = self._require_approver()
        payload = ItemRejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._decide(item, accept=False, reason=payload.validated_data["reason"])


# ---------------------------------------------------------------------------------------------
# Runbooks


@extend_schema_view(
    list=extend_schema(
        summary="Runbooks of the programme",
        description="Every member reads them, drafts and published ones.",
        responses={200: RunbookSerializer(many=True), 401: UNAUTHENTICATED, 404: PROGRAMME_404},
    ),
    retrieve=extend_schema(
        summary="A runbook",
        responses={200: RunbookSerializer, 401: UNAUTHENTICATED, 404: _not_found("runbook")},
    ),
)
class RunbookViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Runbooks: drafted by the support team from a known issue or resolved tickets, edited, published."""

    lookup_value_regex = "[0-9]+"
    serializer_class = RunbookSerializer
    queryset = Runbook.objects.none()
    filter_backends = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Runbook.objects.none()
        return (
            Runbook.objects.filter(programme=self.programme)
            .select_related("created_by", "published_by")
            .prefetch_related(
                Prefetch(
                    "tickets",
                    queryset=Ticket.objects.only("pk", "reference", "reported_at").order_by("reported_at"),
                )
            )
            .order_by("title", "pk")
        )

    def fresh(self, runbook: Runbook, code: int = status.HTTP_200_OK) -> Response:
        return Response(RunbookSerializer(self.get_queryset().get(pk=runbook.pk)).data, status=code)

    def _require_writer(self) -> None:
        if not services.can_write_runbooks(self.access):
            self.access.refuse("Only the support team can write runbooks.")

    @extend_schema(
        summary="Draft a runbook from a known issue and/or resolved tickets",
        description="The support team. The draft takes the known issue's symptoms and workaround and the "
        "resolutions of its resolved tickets (and of the tickets named) as numbered steps.",
        request=RunbookCreateSerializer,
        responses={
            201: RunbookSerializer,
            400: OpenApiResponse(
                description="`known_issue`: not one of this programme's; `tickets`: unknown, unresolved, or "
                "neither a known issue nor a ticket given."
            ),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Only the support team writes runbooks."),
            404: PROGRAMME_404,
            409: OpenApiResponse(description="The programme is closed: its runbooks are a record."),
        },
    )
    def create(self, request, slug):
        self._require_writer()
        payload = RunbookCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        known_issue = None
        if data.get("known_issue") is not None:
            known_issue = KnownIssue.objects.filter(programme=self.programme, pk=data["known_issue"]).first()
            if known_issue is None:
                raise ValidationError({"known_issue": "No such known issue in this programme."})
        references = list(dict.fromkeys(data.get("tickets") or []))
        tickets = list(Ticket.objects.filter(programme=self.programme, reference__in=references))
        missing = sorted(set(references) - {t.reference for t in tickets})
        if missing:
            raise ValidationError({"tickets": f"No such ticket in this programme: {', '.join(missing)}."})
        with service_refusals():
            runbook = services.runbook_draft(
                access=self.access, known_issue=known_issue, tickets=tickets, title=data["title"]
            )
        return self.fresh(runbook, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a runbook, or publish it",
        description='The support team. `"status": "published"` publishes it (as POST …/publish/ does).',
        request=RunbookUpdateSerializer,
        responses={
            200: RunbookSerializer,
            400: OpenApiResponse(description="Bad fields, by name (a blank `title` or `steps`)."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Only the support team writes runbooks."),
            404: _not_found("runbook"),
            409: OpenApiResponse(
                description="A published runbook sent back to draft, or the programme is closed."
            ),
        },
    )
    @transaction.atomic
    def partial_update(self, request, slug, pk=None):
        runbook = self.get_object()
        self._require_writer()
        payload = RunbookUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data.get("status") == RunbookStatus.DRAFT and runbook.status == RunbookStatus.PUBLISHED:
            raise StateConflict("A published runbook does not return to draft; edit it instead.")
        with service_refusals():
            if any(name in data for name in RunbookUpdateSerializer.TEXT_FIELDS):
                text = {
                    name: data.get(name, getattr(runbook, name))
                    for name in RunbookUpdateSerializer.TEXT_FIELDS
                }
                services.runbook_update(access=self.access, runbook=runbook, **text)
            if data.get("status") == RunbookStatus.PUBLISHED:
                services.runbook_publish(access=self.access, runbook=runbook)
        return self.fresh(runbook)

    @extend_schema(
        summary="Publish a runbook",
        description="The support team; publishing a published runbook changes nothing.",
        request=None,
        responses={
            200: RunbookSerializer,
            400: OpenApiResponse(description="`steps`: the runbook has no resolution steps yet."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Only the support team writes runbooks."),
            404: _not_found("runbook"),
            409: OpenApiResponse(description="The programme is closed: its runbooks are a record."),
        },
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, slug, pk=None):
        runbook = self.get_object()
        self._require_writer()
        with service_refusals():
            services.runbook_publish(access=self.access, runbook=runbook)
        return self.fresh(runbook)


# ---------------------------------------------------------------------------------------------
# Knowledge transfer


class KnowledgeTransferView(ProgrammeScopedMixin, APIView):
    """The knowledge-transfer plan (when each phase starts), the phase it puts today in, and the phase
    the handling data shows: the same figures as the knowledge-transfer page."""

    def representation(self) -> dict:
        programme = self.programme
        now = timezone.now()
        today = now.astimezone(ZoneInfo(programme.timezone)).date()
        planned = current_phase(programme, today=today)
        measured = kt_measured_phase(programme, at=now)
        share = bau_share(programme, Window.ending(programme, at=now))
        return KnowledgeTransferSerializer(
            {
                "phases": kt_rows(programme, today=today, at=now),
                "planned_phase": planned.phase if planned else None,
                "measured_phase": measured.phase if measured else None,
                "measured_reason": measured.reason if measured else "",
                "bau_share": share.as_dict(),
            }
        ).data

    @extend_schema(
        summary="The knowledge-transfer plan and the measured phase",
        responses={200: KnowledgeTransferSerializer, 401: UNAUTHENTICATED, 404: PROGRAMME_404},
    )
    def get(self, request, slug):
        return Response(self.representation())

    @extend_schema(
        summary="Replace the knowledge-transfer plan",
        description="Leads. Every phase's start date; each phase starts after the one before.",
        request=KnowledgeTransferPlanSerializer,
        responses={
            200: KnowledgeTransferSerializer,
            400: OpenApiResponse(
                description="A missing or bad date, or phases out of order: named by phase."
            ),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Only the programme's leads plan knowledge transfer."),
            404: PROGRAMME_404,
            409: OpenApiResponse(description="The programme is closed: its plan is a record."),
        },
    )
    def put(self, request, slug):
        if not self.access.is_lead:
            self.access.refuse("Only the programme's leads can plan knowledge transfer.")
        payload = KnowledgeTransferPlanSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            services.kt_phases_update(access=self.access, starts=payload.validated_data)
        return Response(self.representation())


# ---------------------------------------------------------------------------------------------
# Exit criteria


class ExitCriterionViewSet(ProgrammeScopedMixin, viewsets.ViewSet):
    """The exit criteria, each as the exit gate measures it now (the same evaluation as
    GET exit-gate/): leads edit titles, thresholds and windows; leads and the operational owner
    attest the attested ones with evidence."""

    lookup_value_regex = "[0-9]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def rows(self) -> list[dict]:
        gate = gate_evaluate(programme=self.programme)
        return [
            result.as_dict()
            | {"description": result.criterion.description, "attested": result.criterion.is_attested}
            for result in gate.results
        ]

    def row(self, pk) -> dict:
        found = next((row for row in self.rows() if str(row["id"]) == str(pk)), None)
        if found is None:
            raise Http404("No such exit criterion in this programme.")
        return found

    def criterion(self, pk) -> ExitCriterion:
        return get_object_or_404(ExitCriterion.objects.of(self.programme), pk=pk)

    @extend_schema(
        summary="Exit criteria, measured now",
        description="Every member. Status, value, threshold and window are those of GET exit-gate/.",
        responses={200: ExitCriterionSerializer(many=True), 401: UNAUTHENTICATED, 404: PROGRAMME_404},
    )
    def list(self, request, slug):
        return Response(ExitCriterionSerializer(self.rows(), many=True).data)

    @extend_schema(
        summary="An exit criterion, measured now",
        responses={200: ExitCriterionSerializer, 401: UNAUTHENTICATED, 404: _not_found("exit criterion")},
    )
    def retrieve(self, request, slug, pk=None):
        return Response(ExitCriterionSerializer(self.row(pk)).data)

    @extend_schema(
        summary="Edit an exit criterion's title, description, threshold or window",
        description="Leads. A criterion judging a scorecard figure reads the KPI's green boundary as its "
        "threshold: changing it here moves that boundary (one threshold for both).",
        request=ExitCriterionUpdateSerializer,
        responses={
            200: ExitCriterionSerializer,
            400: OpenApiResponse(
                description="Bad fields, by name (e.g. a criterion that needs a `threshold`)."
            ),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Only the programme's leads change the exit criteria."),
            404: _not_found("exit criterion"),
            409: OpenApiResponse(description="The programme is closed: its exit criteria are a record."),
        },
    )
    @transaction.atomic
    def partial_update(self, request, slug, pk=None):
        criterion = self.criterion(pk)
        if not services.can_edit_criteria(self.access):
            self.access.refuse("Only the programme's leads can change the exit criteria.")
        payload = ExitCriterionUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        if payload.validated_data:
            with service_refusals():
                services.criterion_update(access=self.access, criterion=criterion, **payload.validated_data)
        return Response(ExitCriterionSerializer(self.row(pk)).data)

    @extend_schema(
        summary="Attest an exit criterion, with evidence",
        description="Leads and the operational owner, for the attested kinds (month-end close, attestation). "
        "JSON with `evidence_url`, or multipart with `evidence_file`; the newest attestation counts.",
        request={"application/json": AttestSerializer, "multipart/form-data": AttestSerializer},
        responses={
            201: AttestationSerializer,
            400: OpenApiResponse(
                description="Bad fields, by name: `outcome`, `note`, `evidence_url`, `evidence_file`."
            ),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Only leads and the operational owner attest exit criteria."),
            404: _not_found("exit criterion"),
            409: OpenApiResponse(
                description="The criterion is measured from live data, not attested; or the programme is closed."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def attest(self, request, slug, pk=None):
        criterion = self.criterion(pk)
        if not services.can_attest(self.access):
            self.access.refuse("Only leads and the operational owner can attest exit criteria.")
        payload = AttestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        with service_refusals():
            attestation = services.criterion_attest(
                access=self.access,
                criterion=criterion,
                outcome=data["outcome"],
                note=data["note"],
                evidence_url=data.get("evidence_url") or "",
                evidence_file=data.get("evidence_file"),
            )
        return Response(AttestationSerializer(attestation).data, status=status.HTTP_201_CREATED)
