"""REST API of triage under /api/v1/programmes/{slug}/: SLA policy, matrix, SLA timelines, reports, rota."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from hypercare.access import ProgrammeClosed
from hypercare.api import ProgrammeScopedMixin, as_drf_error
from sla.matrix import ALWAYS_SEV4_CATEGORIES, matrix_for
from sla.models import SlaPolicy
from sla.policy import policy_for, severity_matrix_update, sla_policy_publish
from tickets.explain import explain
from tickets.models import Ticket
from triage import services
from triage.models import OnCallShift
from triage.serializers import (
    ComplianceSerializer,
    MatrixSerializer,
    MatrixUpdateResultSerializer,
    OnCallShiftSerializer,
    OverrideReportSerializer,
    PeriodQuerySerializer,
    SlaPolicySerializer,
    TicketSlaSerializer,
)

PERIOD = [
    OpenApiParameter("start", str, description="ISO instant; tickets whose clock started at or after it"),
    OpenApiParameter("end", str, description="ISO instant; tickets whose clock started before it"),
]


def _call(function, **kwargs):
    """A service call with its errors as DRF errors (400 with field messages, 403; 409 when the
    programme is closed, from hypercare.drf.exception_handler)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise as_drf_error(error) from None
    except ProgrammeClosed:
        raise
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error)) from None


class ReportMixin(ProgrammeScopedMixin):
    def require_reader(self):
        # Programme-wide figures: for those who may see every ticket (not champions).
        if not self.access.sees_all_tickets:
            raise PermissionDenied("Programme-wide SLA reports are for the support team, leads and sponsors.")

    def period(self):
        query = PeriodQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data.get("start"), query.validated_data.get("end")


def _policy_queryset(programme):
    return (
        SlaPolicy.objects.filter(programme=programme).select_related("created_by").prefetch_related("targets")
    )


class SlaPolicyView(ProgrammeScopedMixin, APIView):
    """The SLA policy in force: per severity response_minutes, resolution_minutes (null for none),
    clock ("24x7" or "business") and at_risk_percent. Leads replace it with PUT, which adds a
    new version from effective_from (default now); tickets keep the version they were triaged
    under, and a severity change takes the version in force at that moment."""

    @extend_schema(responses=SlaPolicySerializer)
    def get(self, request, slug):
        policy = policy_for(self.programme, timezone.now())
        if policy is None:
            raise Http404("This programme has no SLA policy.")
        policy = _policy_queryset(self.programme).get(pk=policy.pk)
        return Response(SlaPolicySerializer(policy).data)

    @extend_schema(request=SlaPolicySerializer, responses=SlaPolicySerializer)
    def put(self, request, slug):
        self.require_lead()
        serializer = SlaPolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        policy = _call(
            sla_policy_publish,
            access=self.access,
            targets=data["targets"],
            effective_from=data.get("effective_from"),
            note=data.get("note", ""),
        )
        policy = _policy_queryset(self.programme).get(pk=policy.pk)
        return Response(SlaPolicySerializer(policy).data, status=status.HTTP_200_OK)


class SlaPolicyVersionsView(ProgrammeScopedMixin, APIView):
    """Every version of the SLA policy, newest first."""

    @extend_schema(responses=SlaPolicySerializer(many=True))
    def get(self, request, slug):
        policies = _policy_queryset(self.programme).order_by("-effective_from")
        return Response(SlaPolicySerializer(policies, many=True).data)


def _matrix_data(programme) -> dict:
    matrix = matrix_for(programme)
    return {
        "cells": [
            {
                "impact_scope": scope,
                "workaround": workaround,
                "blocks_vital_process": vital,
                "severity": severity,
            }
            for (scope, workaround, vital), severity in matrix.items()
        ],
        "always_sev4_categories": sorted(ALWAYS_SEV4_CATEGORIES),
    }


class MatrixView(ProgrammeScopedMixin, APIView):
    """The triage matrix: severity from scope, workaround and a blocked vital process, never
    from who reported. Leads change cells with PUT (cells not given keep their severity)."""

    @extend_schema(responses=MatrixSerializer)
    def get(self, request, slug):
        return Response(MatrixSerializer(_matrix_data(self.programme)).data)

    @extend_schema(request=MatrixSerializer, responses=MatrixUpdateResultSerializer)
    def put(self, request, slug):
        self.require_lead()
        serializer = MatrixSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = _call(severity_matrix_update, access=self.access, cells=serializer.validated_data["cells"])
        return Response(
            MatrixUpdateResultSerializer({**_matrix_data(self.programme), "changed": changed}).data
        )


class SeverityOverridesView(ReportMixin, APIView):
    """How often triagers overrode the matrix's severity, in which direction, and by whom."""

    @extend_schema(parameters=PERIOD, responses=OverrideReportSerializer)
    def get(self, request, slug):
        self.require_reader()
        start, end = self.period()
        report = services.severity_override_report(self.programme, start, end)
        return Response(OverrideReportSerializer(report).data)


COMPLIANCE_PERIOD = [
    OpenApiParameter(
        "start",
        str,
        description="ISO instant; resolution targets judged (resolved, or overdue) at or after it",
    ),
    OpenApiParameter("end", str, description="ISO instant; resolution targets judged before it"),
]


class SlaComplianceView(ReportMixin, APIView):
    """Resolution SLA compliance per severity and per tier: met, breached and open tickets.

    The scorecard's and the exit gate's definition: of the tickets with a resolution target resolved
    in the period, or still open past their due instant in it, the share resolved by the due instant.
    """

    @extend_schema(parameters=COMPLIANCE_PERIOD, responses=ComplianceSerializer)
    def get(self, request, slug):
        self.require_reader()
        start, end = self.period()
        return Response(ComplianceSerializer(services.sla_compliance(self.programme, start, end)).data)


class TicketSlaView(ProgrammeScopedMixin, APIView):
    """A ticket's SLA timeline: when each clock started, paused, resumed and stopped, the policy
    version and calendar, and why it is due when it is (working minutes used and left)."""

    @extend_schema(responses=TicketSlaSerializer)
    def get(self, request, slug, reference):
        ticket = get_object_or_404(
            Ticket.objects.visible_to(self.access).select_related("programme__calendar", "sla_policy"),
            reference=reference,
        )
        return Response(TicketSlaSerializer(explain(ticket)).data)


class OnCallCreateSerializer(serializers.Serializer):
    username = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OnCallViewSet(
    ProgrammeScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The on-call rota: who is told of Sev1 alerts and Sev1/Sev2 breaches, when. Leads maintain it."""

    lookup_value_regex = "[0-9]+"  # a non-numeric id is a 404, not a failed integer lookup
    serializer_class = OnCallShiftSerializer
    filter_backends = []
    pagination_class = None
    queryset = OnCallShift.objects.none()

    def get_queryset(self):
        return (
            OnCallShift.objects.filter(programme=self.programme).select_related("user").order_by("starts_at")
        )

    @extend_schema(request=OnCallCreateSerializer, responses={201: OnCallShiftSerializer})
    def create(self, request, *args, **kwargs):
        self.require_lead()
        serializer = OnCallCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = get_user_model().objects.filter(username=data["username"]).first()
        _call(services.queue_worker, programme=self.programme, user=user, field="username")
        shift = _call(
            services.oncall_shift_add,
            access=self.access,
            user=user,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            note=data["note"],
        )
        return Response(OnCallShiftSerializer(shift).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        self.require_lead()
        shift = self.get_object()
        _call(services.oncall_shift_remove, access=self.access, shift=shift)
        return Response(status=status.HTTP_204_NO_CONTENT)
