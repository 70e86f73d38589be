"""REST API of ticket imports: POST a tracker's CSV export (dry run or commit), GET the job's state."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from hypercare.api import ProgrammeScopedMixin, as_drf_error
from hypercare.audit import audit
from hypercare.parsers import JSONParser
from tickets.import_jobs import import_progress, import_start
from tickets.imports import MAX_IMPORT_BYTES, ImportMapping
from tickets.models import TicketImport
from tickets.serializers import ErrorSerializer


class RefusedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The line of the file where the refused record starts.")
    reason = serializers.CharField(help_text="What is wrong and how to fix the file or the mapping.")


class TicketImportSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(help_text="0-100.")
    refused = RefusedRowSerializer(many=True, read_only=True)
    references = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The created tickets; empty for a dry run."
    )
    mapping = serializers.JSONField(
        read_only=True, help_text="The mapping used (the proposed one when none was sent)."
    )
    error = serializers.CharField(read_only=True, help_text="Why a failed import stopped; empty otherwise.")

    class Meta:
        model = TicketImport
        fields = [
            "id",
            "state",
            "progress",
            "dry_run",
            "source_name",
            "tracker",
            "mapping",
            "accepted",
            "refused",
            "references",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, ticket_import: TicketImport) -> int:
        return import_progress(ticket_import)


class TicketImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The tracker's CSV export (UTF-8 or Windows-1252), 64 MB and 60,000 rows at most."
    )
    mapping = serializers.CharField(
        required=False,
        help_text='JSON: {"columns": {"title": "Summary", ...}, "values": {"status": {"Done": "resolved"}}, '
        '"labels": [...], "comments": {"Comment": "public"}, "date_order": "day_first", "time_zone": "Asia/Kolkata", '
        '"default_category": "defect", "default_severity": 3}. Without it, the proposed mapping is used.',
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check every row and store nothing.")

    def validate_mapping(self, value: str) -> ImportMapping:
        try:
            data = json.loads(value)
        except ValueError as error:
            raise serializers.ValidationError(f"mapping is not valid JSON ({error}).") from None
        try:
            return ImportMapping.from_dict(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate_file(self, upload):
        if upload.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError(
                f"The file is {upload.size // 1024 // 1024} MB; the limit is {MAX_IMPORT_BYTES // 1024 // 1024} MB: "
                "split it by date."
            )
        return upload


LEADS_ONLY = OpenApiResponse(ErrorSerializer, description="Only the programme's leads import tickets.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid API token.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such programme (or import) for you.")


class TicketImportViewSet(ProgrammeScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of another tracker's tickets (Jira, ServiceNow, Zendesk CSV exports). Leads only."""

    serializer_class = TicketImportSerializer
    filter_backends = []
    pagination_class = None
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return TicketImport.objects.filter(programme=self.programme)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.require_lead()

    @extend_schema(
        summary="Import a CSV export (a dry run or the commit)",
        description="Queues the import and answers 202 with its `id`; poll the import until its `state` is "
        "`done` or `failed`. The file and the mapping are checked first: a missing column, an unknown "
        "time zone, or dates that could be read either way without `date_order` answer 400 naming the "
        "field. The commit stores every row or none.",
        request={"multipart/form-data": TicketImportCreateSerializer},
        responses={
            202: TicketImportSerializer,
            400: OpenApiResponse(description="Bad file or mapping, by field."),
            401: UNAUTHENTICATED,
            403: LEADS_ONLY,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="The programme is closed: it takes no tickets."
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = TicketImportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        try:
            ticket_import = import_start(
                access=self.access,
                content=upload.read(),
                source_name=upload.name.rsplit("/", 1)[-1],
                mapping=data.get("mapping"),
                dry_run=data["dry_run"],
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        audit(
            "tickets.import_started",
            actor=request.user,
            programme=self.programme,
            id=ticket_import.pk,
            dry_run=ticket_import.dry_run,
        )
        ticket_import.refresh_from_db()
        return Response(TicketImportSerializer(ticket_import).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="An import's state, progress and outcome",
        description="`refused` lists each refused row's line and how to fix it (then nothing was stored); "
        "`references` lists the created tickets (empty for a dry run).",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The import's id.")],
        responses={200: TicketImportSerializer, 401: UNAUTHENTICATED, 403: LEADS_ONLY, 404: NOT_FOUND},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
