"""REST API of the releases app: hotfixes and their stages, patch releases, production changes, webhooks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from hypercare.api import ProgrammeScopedMixin, as_drf_error
from hypercare.parsers import JSONParser
from releases import services
from releases.models import (
    Bulletin,
    Hotfix,
    HotfixStage,
    PatchRelease,
    ProductionChange,
    ReportKind,
    StatusReport,
    Webhook,
    WebhookFormat,
)
from releases.serializers import (
    BulletinCreateSerializer,
    BulletinSerializer,
    BulletinWriteSerializer,
    DecisionSerializer,
    HotfixAdvanceSerializer,
    HotfixCreateSerializer,
    HotfixSerializer,
    PatchReleaseSerializer,
    ProductionChangeSerializer,
    StatusReportDetailSerializer,
    StatusReportSerializer,
    WebhookSerializer,
)
from releases.services.bulletins import SENDER_REFUSAL, may_send

REFUSAL = inline_serializer("Refusal", fields={"detail": serializers.CharField()})


def _conflict(error: services.StageConflict) -> Response:
    return Response({"detail": error.message}, status=status.HTTP_409_CONFLICT)


class HotfixViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Hotfixes of a programme and their gated stages (dev_sandbox → … → deployed).

    Every member reads them; the desk, engineers, BAU and leads create and advance them;
    UAT is signed off by a business tester (or, on the emergency path, a hypercare lead)
    who is not the person who built the fix.
    """

    lookup_value_regex = "[0-9]+"  # a non-numeric id is a 404, not a failed integer lookup
    serializer_class = HotfixSerializer
    filter_backends = []
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no programme in the path
            return Hotfix.objects.none()
        return (
            Hotfix.objects.of(self.programme)
            .for_list(self.access)
            .prefetch_related(
                Prefetch("stages", queryset=HotfixStage.objects.select_related("by", "hotfix__programme"))
            )
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request=HotfixCreateSerializer,
        responses={201: HotfixSerializer, 400: OpenApiResponse(description="Invalid input, per field.")},
    )
    def create(self, request, *args, **kwargs):
        serializer = HotfixCreateSerializer(data=request.data, programme=self.programme)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            hotfix = services.hotfix_create(
                programme=self.programme,
                by=request.user,
                title=data["title"],
                summary=data.get("summary", ""),
                tickets=data.get("tickets", []),
                known_issue=data.get("known_issue"),
                emergency=data.get("emergency", False),
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(
            HotfixSerializer(self.get_queryset().get(pk=hotfix.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=HotfixAdvanceSerializer,
        responses={
            200: HotfixSerializer,
            400: OpenApiResponse(description="Missing or invalid evidence, per field."),
            403: OpenApiResponse(REFUSAL, description="The caller's role may not record this stage."),
            404: OpenApiResponse(
                REFUSAL, description="No such hotfix in this programme (or a non-numeric id)."
            ),
            409: OpenApiResponse(REFUSAL, description="A skipped or repeated stage, or a four-eyes breach."),
        },
    )
    @action(detail=True, methods=["post"])
    def advance(self, request, slug=None, pk=None):
        """Move the hotfix on by one stage: {"stage": "...", "evidence": {"link", "pass_count", "note"}}."""
        hotfix = get_object_or_404(
            Hotfix.objects.select_related("programme"), pk=pk, programme=self.programme
        )
        serializer = HotfixAdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evidence = data.get("evidence") or {}
        try:
            services.hotfix_advance(
                hotfix=hotfix,
                stage=data["stage"],
                by=request.user,
                evidence_link=evidence.get("link", ""),
                pass_count=evidence.get("pass_count"),
                note=evidence.get("note", ""),
                report=data.get("report"),
            )
        except services.StageConflict as error:
            return _conflict(error)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(HotfixSerializer(self.get_queryset().get(pk=hotfix.pk)).data)


class PatchReleaseViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Patch releases with their release notes; a lead deploys a planned one."""

    lookup_value_regex = "[0-9]+"  # a non-numeric id is a 404, not a failed integer lookup
    serializer_class = PatchReleaseSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PatchRelease.objects.none()
        return (
            PatchRelease.objects.filter(programme=self.programme)
            .select_related("programme", "deployed_by")
            .prefetch_related("hotfixes")
            .order_by("-planned_for", "-number")
        )

    @extend_schema(
        request=None,
        responses={
            200: PatchReleaseSerializer,
            403: OpenApiResponse(REFUSAL),
            404: OpenApiResponse(
                REFUSAL, description="No such release in this programme (or a non-numeric id)."
            ),
            409: OpenApiResponse(REFUSAL),
        },
    )
    @action(detail=True, methods=["post"])
    def deploy(self, request, slug=None, pk=None):
        """Deploy the release: every hotfix must be signed off; reporters of linked tickets are notified."""
        release = get_object_or_404(
            PatchRelease.objects.select_related("programme"), pk=pk, programme=self.programme
        )
        try:
            services.release_deploy(release=release, by=request.user)
        except services.StageConflict as error:
            return _conflict(error)
        return Response(self.get_serializer(self.get_queryset().get(pk=release.pk)).data)

    @extend_schema(
        summary="Resolve the tickets a deployed release fixes",
        description="The desk's one action after a deployment: every open ticket named by the release's "
        "hotfixes or linked to the known issues they fix is resolved through the same service as a single "
        "resolve, with the release note of its fix; each reporter is told. A refusal is reported per ticket "
        "and leaves that ticket unchanged.",
        request=None,
        responses={
            200: inline_serializer(
                "ReleaseResolvedTickets",
                fields={
                    "resolved": serializers.ListField(child=serializers.CharField()),
                    "refused": serializers.DictField(child=serializers.CharField()),
                },
            ),
            403: OpenApiResponse(REFUSAL, description="Only the desk, engineers, BAU support and leads."),
            404: OpenApiResponse(
                REFUSAL, description="No such release in this programme (or a non-numeric id)."
            ),
            409: OpenApiResponse(REFUSAL, description="The release is not deployed yet."),
        },
    )
    @action(detail=True, methods=["post"], url_path="resolve-tickets")
    def resolve_tickets(self, request, slug=None, pk=None):
        release = get_object_or_404(
            PatchRelease.objects.select_related("programme"), pk=pk, programme=self.programme
        )
        try:
            outcome = services.release_resolve_tickets(release=release, by=request.user)
        except services.StageConflict as error:
            return _conflict(error)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response(outcome)


class ProductionChangeViewSet(
    ProgrammeScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Changes made directly to production configuration: recorded with an impact assessment, approved by a lead."""

    lookup_value_regex = "[0-9]+"  # a non-numeric id is a 404, not a failed integer lookup
    serializer_class = ProductionChangeSerializer
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The page's rule (releases.views.production_changes): not for champions.
        if not self.access.sees_all_tickets:
            raise PermissionDenied("Production changes are visible to the support team and leadership.")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProductionChange.objects.none()
        return (
            ProductionChange.objects.filter(programme=self.programme)
            .select_related("requested_by", "decided_by")
            .order_by("-requested_at", "-pk")
        )

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("programme", getattr(self, "programme", None))
        return super().get_serializer(*args, **kwargs)

    def create(self, request, *args, **kwargs):
        # Who may record one is decided before what they sent is read: a viewer hears 403, not field errors.
        services.require_builder(self.programme, request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            change = services.production_change_record(programme=self.programme, by=request.user, **data)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(self.get_serializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DecisionSerializer,
        responses={
            200: ProductionChangeSerializer,
            403: OpenApiResponse(REFUSAL),
            404: OpenApiResponse(
                REFUSAL, description="No such change in this programme (or a non-numeric id)."
            ),
            409: OpenApiResponse(REFUSAL),
        },
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, slug=None, pk=None):
        """A lead (not the requester) approves or rejects the change: {"approve": true, "note": "..."}."""
        change = get_object_or_404(
            ProductionChange.objects.select_related("programme"), pk=pk, programme=self.programme
        )
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            change = services.production_change_decide(
                change=change,
                by=request.user,
                approve=serializer.validated_data["approve"],
                note=serializer.validated_data["note"],
            )
        except services.StageConflict as error:
            return _conflict(error)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(self.get_serializer(change).data)


class WebhookViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Outgoing webhooks (leads only): generic JSON, Slack Block Kit or a Teams Adaptive Card, signed with HMAC-SHA256."""

    serializer_class = WebhookSerializer
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.require_lead()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Webhook.objects.none()
        return Webhook.objects.filter(programme=self.programme).order_by("name", "pk")

    @extend_schema(
        responses={
            201: WebhookSerializer,
            400: OpenApiResponse(
                description="Invalid input, per field; a url on a loopback, private or otherwise internal "
                "address is refused (unless the deployment allows internal targets)."
            ),
            403: OpenApiResponse(REFUSAL, description="Only a hypercare lead manages webhooks."),
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            webhook = services.webhook_register(
                programme=self.programme,
                by=request.user,
                name=data["name"],
                url=data["url"],
                events=sorted(data["events"]),
                secret=data.get("secret", ""),
                format=data.get("format", WebhookFormat.GENERIC),
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(self.get_serializer(webhook).data, status=status.HTTP_201_CREATED)


STATUS_READERS = OpenApiResponse(
    REFUSAL, description="The status reports are for the sponsor, leadership and the support team."
)
SENDER_ONLY = OpenApiResponse(
    REFUSAL, description="Only the change manager and the hypercare leads may do this."
)
NO_BULLETIN = OpenApiResponse(
    REFUSAL, description="No such bulletin in this programme (drafts are hidden from those who cannot send)."
)
BAD_FIELDS = OpenApiResponse(
    description="Invalid input, per field (an unknown business unit or geography, …)."
)
CLOSED = OpenApiResponse(
    REFUSAL, description="Hypercare of this programme is closed: bulletins no longer change."
)


@extend_schema_view(
    list=extend_schema(
        summary="Daily status reports and weekly summaries as sent",
        description="Newest first. The sponsor, leadership and the support team (every role but champions).",
        parameters=[
            OpenApiParameter("kind", str, enum=ReportKind.values, description="Only reports of this kind.")
        ],
        responses={
            200: StatusReportSerializer(many=True),
            400: OpenApiResponse(description="`kind` is not a kind of report."),
            401: OpenApiResponse(description="Not authenticated."),
            403: STATUS_READERS,
            404: OpenApiResponse(description="No such programme for you."),
        },
    ),
    retrieve=extend_schema(
        summary="A status report with the figures it carried",
        responses={
            200: StatusReportDetailSerializer,
            401: OpenApiResponse(description="Not authenticated."),
            403: STATUS_READERS,
            404: OpenApiResponse(description="No such programme for you, or no such report in it."),
        },
    ),
)
class StatusReportViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The status reports the programme sent (the daily-status page lists the same)."""

    lookup_value_regex = "[0-9]+"
    serializer_class = StatusReportSerializer
    queryset = StatusReport.objects.none()
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not self.access.sees_all_tickets:
            raise PermissionDenied("The status reports are for the sponsor, leadership and the support team.")

    def get_serializer_class(self):
        return StatusReportDetailSerializer if self.action == "retrieve" else StatusReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StatusReport.objects.none()
        reports = StatusReport.objects.filter(programme=self.programme).order_by("-date", "kind", "-pk")
        if self.action == "list":
            reports = reports.defer("data", "last_error")
            kind = self.request.query_params.get("kind")
            if kind is not None:
                if kind not in ReportKind.values:
                    raise serializers.ValidationError(
                        {"kind": f"Choose one of {', '.join(ReportKind.values)}."}
                    )
                reports = reports.filter(kind=kind)
        return reports


@extend_schema_view(
    list=extend_schema(
        responses={
            200: BulletinSerializer(many=True),
            404: OpenApiResponse(REFUSAL, description="No such programme."),
        }
    ),
    retrieve=extend_schema(responses={200: BulletinSerializer, 404: NO_BULLETIN}),
)
class BulletinViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """User bulletins: what was fixed, what is coming, the workarounds to use meanwhile.

    Every member reads the bulletins sent; the change manager and the leads also see the drafts,
    create and edit them, and send them (each recipient once, in the app, by e-mail and webhook).
    """

    lookup_value_regex = "[0-9]+"
    serializer_class = BulletinSerializer
    filter_backends = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Bulletin.objects.none()
        return services.bulletins_visible(self.access).order_by("-date", "-pk")

    def _require_sender(self):
        if not may_send(self.access):
            self.access.refuse(SENDER_REFUSAL)

    @extend_schema(
        request=BulletinCreateSerializer,
        responses={201: BulletinSerializer, 400: BAD_FIELDS, 403: SENDER_ONLY, 409: CLOSED},
    )
    def create(self, request, *args, **kwargs):
        self._require_sender()
        serializer = BulletinCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        from_draft = data.pop("from_draft", False)
        try:
            bulletin = services.bulletin_create(
                programme=self.programme, by=request.user, from_draft=from_draft, **data
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(BulletinSerializer(bulletin).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=BulletinWriteSerializer,
        responses={
            200: BulletinSerializer,
            400: BAD_FIELDS,
            403: SENDER_ONLY,
            404: NO_BULLETIN,
            409: OpenApiResponse(
                REFUSAL, description="The bulletin was already sent (or the programme is closed)."
            ),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        self._require_sender()
        bulletin = self.get_object()
        serializer = BulletinWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            bulletin = services.bulletin_update(
                bulletin=bulletin, by=request.user, **serializer.validated_data
            )
        except services.StageConflict as error:
            return _conflict(error)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(BulletinSerializer(bulletin).data)

    @extend_schema(
        request=None,
        responses={
            200: BulletinSerializer,
            400: OpenApiResponse(
                description="An empty bulletin, or an audience with nobody in it (per field)."
            ),
            403: SENDER_ONLY,
            404: NO_BULLETIN,
            409: OpenApiResponse(
                REFUSAL, description="The bulletin was already sent (or the programme is closed)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def send(self, request, slug=None, pk=None):
        """Send a draft to its audience: each person once, in the app, by e-mail and to the webhooks."""
        self._require_sender()
        bulletin = self.get_object()
        try:
            bulletin = services.bulletin_send(bulletin=bulletin, by=request.user)
        except services.StageConflict as error:
            return _conflict(error)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(BulletinSerializer(bulletin).data)
