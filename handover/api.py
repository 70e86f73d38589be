"""REST API of the exit gate and sign-offs, under /api/v1/programmes/{slug}/."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from handover import services
from handover.criteria import gate_evaluate
from handover.models import SignOff
from handover.selectors import current_phase, hypercare_clock, measured_phase
from handover.serializers import (
    ExitGateSerializer,
    SignOffCreateSerializer,
    SignOffRevokeSerializer,
    SignOffSerializer,
)
from handover.views import client_ip
from hypercare.api import ProgrammeScopedMixin, as_drf_error


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
