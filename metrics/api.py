"""REST API of the metrics app: telemetry ingestion, daily snapshots and the scorecard."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from hypercare.access import get_programme_for
from hypercare.api import ProgrammeScopedMixin
from hypercare.audit import audit
from hypercare.authentication import TokenAuthentication
from hypercare.parsers import DEEP_JSON_MESSAGE
from metrics import services
from metrics.models import IngestionToken, PointSource, Snapshot
from metrics.scorecard import ProgrammeMetrics
from metrics.serializers import (
    ScorecardSerializer,
    SnapshotSerializer,
    TelemetryAcceptedSerializer,
    TelemetryPointSerializer,
    TelemetryRejectedSerializer,
)
from metrics.snapshots import local_today, snapshot_figures

MAX_SNAPSHOT_DAYS = 366
# 100,000 points with every dimension set are about 13 MB of JSON.
MAX_TELEMETRY_BODY = 32 * 1024 * 1024


class TelemetryJSONParser(BaseParser):
    """JSON read straight from the request stream, up to MAX_TELEMETRY_BODY.

    DRF's JSONParser goes through request.body, which Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE
    (2.5 MB) for every endpoint; a day of telemetry is bigger, and only this endpoint needs that.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_TELEMETRY_BODY:
            raise exceptions.ParseError(
                f"The body is larger than {MAX_TELEMETRY_BODY // (1024 * 1024)} MB: split the points over requests."
            )
        if stream is None:
            raise exceptions.ParseError("Send a JSON array of points.")
        try:
            return json.load(stream)
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        except RecursionError:
            raise exceptions.ParseError(DEEP_JSON_MESSAGE) from None


class IngestionClient:
    """The caller behind an ingestion token: authenticated, but a member of nothing."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, token: IngestionToken):
        self.token = token
        self.username = f"ingestion-token:{token.prefix}"

    def __str__(self) -> str:
        return self.username


class IngestionTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer hct_…` (or `Token hct_…`): a programme's ingestion token.

    Used by the telemetry endpoint only, so the token opens nothing else; keys that are not
    ingestion tokens are left to the next authentication class (a lead's own API token).
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in (b"bearer", b"token"):
            return None
        key = parts[1].decode("latin-1")
        if not key.startswith(services.TOKEN_PREFIX):
            return None
        token = services.ingestion_token_authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked ingestion token.")
        return IngestionClient(token), token

    def authenticate_header(self, request):
        return 'Bearer realm="telemetry"'


class IngestionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "metrics.api.IngestionTokenAuthentication"
    name = "ingestionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A programme's ingestion token (hct_…), created by a lead; valid for telemetry only.",
        }


class TelemetryIngestView(APIView):
    """Bulk upsert of telemetry points for one programme."""

    authentication_classes = [IngestionTokenAuthentication, TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [TelemetryJSONParser]

    @extend_schema(
        operation_id="telemetry_ingest",
        summary="Send telemetry points (upsert)",
        description=(
            "A JSON array of points `{series, date, value, dimensions}`; up to 100,000 per request. "
            "A point replaces the stored one with the same series, date and dimensions, so a pipeline "
            "can resend a day. Every point is checked first: one bad point (unknown series, a value that "
            "is not a number or is negative, a date in the future, a repeated point) rejects the whole "
            "request with 400 and stores nothing. Authenticated by the programme's ingestion token, or "
            "by a hypercare lead's own token or session."
        ),
        request=TelemetryPointSerializer(many=True),
        responses={200: TelemetryAcceptedSerializer, 400: TelemetryRejectedSerializer},
        tags=["metrics"],
    )
    def post(self, request, slug: str):
        if isinstance(request.auth, IngestionToken):
            if request.auth.programme.slug != slug:
                raise exceptions.NotFound("No such programme.")
            programme, actor = request.auth.programme, request.user
        else:
            access = get_programme_for(request.user, slug)
            if not access.is_lead:
                audit("permission.denied", actor=request.user, programme=access.programme, path=request.path)
                raise exceptions.PermissionDenied("Only the programme's hypercare leads can send telemetry.")
            programme, actor = access.programme, request.user
        try:
            accepted = services.telemetry_ingest(
                programme=programme, points=request.data, source=PointSource.API
            )
        except services.TelemetryRejected as rejected:
            body = {
                "detail": f"{len(rejected.errors)} problem(s) found; nothing was stored.",
                "error_count": len(rejected.errors),
                "errors": [error.as_dict() for error in rejected.errors[:100]],
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        audit("metrics.telemetry_ingested", actor=actor, programme=programme, points=accepted)
        return Response({"accepted": accepted})


def _date_param(request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [f"{raw!r} is not a date in YYYY-MM-DD form."]}) from None


class SnapshotListView(ProgrammeScopedMixin, APIView):
    """Daily snapshots of the programme's service queue."""

    @extend_schema(
        operation_id="snapshots_list",
        summary="Daily snapshots",
        description=(
            "One object per day between `from` and `to` (inclusive, programme-local dates; default: the "
            "last 42 days, at most 366). Days are stored just after the programme's midnight; today is "
            "computed live (`is_live`). Days without a snapshot are left out."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD), default today."),
        ],
        responses=SnapshotSerializer(many=True),
        tags=["metrics"],
    )
    def get(self, request, slug: str):
        today = local_today(self.programme, timezone.now())
        end = _date_param(request, "to") or today
        start = _date_param(request, "from") or end - timedelta(days=41)
        if start > end:
            raise exceptions.ValidationError({"from": ["`from` is after `to`."]})
        if (end - start).days >= MAX_SNAPSHOT_DAYS:
            raise exceptions.ValidationError({"to": [f"At most {MAX_SNAPSHOT_DAYS} days per request."]})
        snapshots = list(
            Snapshot.objects.filter(
                programme=self.programme, date__gte=start, date__lte=min(end, today)
            ).order_by("date")
        )
        if start <= today <= end and not any(s.date == today for s in snapshots):
            now = timezone.now()
            figures = snapshot_figures(programme=self.programme, day=today, at=now)
            snapshots.append(Snapshot(programme=self.programme, date=today, computed_at=now, **figures))
        return Response(SnapshotSerializer(snapshots, many=True, context={"programme": self.programme}).data)


def scorecard_data(metrics: ProgrammeMetrics) -> dict:
    """The scorecard as plain data (the API's body; the page renders the same objects)."""

    def number(value):
        return None if value is None else round(float(value), 4)

    areas = []
    for area in metrics.areas():
        kpis = []
        for result in area.kpis:
            threshold = result.threshold
            kpis.append(
                {
                    "slug": result.kpi.slug,
                    "name": result.kpi.name,
                    "unit": result.kpi.unit,
                    "help": result.kpi.help,
                    "value": number(result.value),
                    "status": result.status,
                    "threshold": {
                        "direction": threshold.direction,
                        "green": threshold.green,
                        "red": threshold.red,
                        "green_high": threshold.green_high,
                        "green_inclusive": threshold.green_inclusive,
                        "text": result.threshold_text,
                    },
                    "sparkline": [number(v) for v in result.sparkline],
                    "rows": [
                        {"label": r.label, "value": number(r.value), "status": r.status, "detail": r.detail}
                        for r in result.rows
                    ],
                    "note": result.note,
                    "window": result.window.as_dict() if result.window else None,
                }
            )
        areas.append({"slug": area.slug, "name": area.name, "status": area.status, "kpis": kpis})
    return {
        "generated_at": metrics.at,
        "today": metrics.today,
        "window_from": metrics.window[0],
        "window_to": metrics.window[-1],
        "sparkline_from": metrics.start,
        "areas": areas,
        "training_gaps": [
            {"kind": f.kind, "name": f.name, "evidence": f.evidence} for f in metrics.findings()
        ],
    }


class ScorecardView(ProgrammeScopedMixin, APIView):
    """The balanced scorecard: four areas, each KPI with value, threshold and status."""

    @extend_schema(
        operation_id="scorecard_retrieve",
        summary="Scorecard",
        description=(
            "Technical health, adoption, process velocity and service-queue health: every KPI with its "
            "value over the last 7 days (its `window`; null for the tier shares, cumulative since go-live), "
            "the programme's threshold, red/amber/green status (`none` without data), a 42-day daily "
            "sparkline and its breakdown rows; and the training-gap detector's findings. The exception rate, "
            "integration success, governor-limit alerts, lock contentions, BAU share and resolution SLA "
            "compliance are the exit gate's figures too: same definition, same default window, same threshold."
        ),
        responses=ScorecardSerializer,
        tags=["metrics"],
    )
    def get(self, request, slug: str):
        metrics = ProgrammeMetrics(self.programme, at=timezone.now())
        return Response(ScorecardSerializer(scorecard_data(metrics)).data)
