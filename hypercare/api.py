"""REST API of the core: tokens, programmes, their members and each member's notifications."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from hypercare import notifications, services
from hypercare.access import get_programme_for
from hypercare.audit import entries_for as audit_entries_for
from hypercare.models import AuditEntry, Invitation, Membership, Notification, Programme
from hypercare.parsers import JSONParser
from hypercare.roles import Role
from hypercare.serializers import MemberSerializer, ProgrammeSerializer


def as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as a DRF 400 with field messages."""
    if hasattr(error, "message_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({"non_field_errors": error.messages})


class StateConflict(exceptions.APIException):
    """A change the object's current state refuses (already decided, not submitted, …): 409 with why."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change is not possible in the current state."
    default_code = "conflict"


@contextmanager
def service_refusals():
    """A service's ValidationError as the API's answer: 400 naming the fields when it names any, else
    409 (a refusal of the object's state). PermissionDenied passes through: 403, or 409 for a closed
    programme (hypercare.drf.exception_handler)."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "message_dict"):
            raise as_drf_error(error) from None
        raise StateConflict(" ".join(error.messages)) from None


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When it stops working (HYPERCARE_API_TOKEN_DAYS); null: no lifetime.",
    )


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token: {"token": "…"}; DELETE revokes it."""

    parser_classes = (FormParser, MultiPartParser, JSONParser)

    @extend_schema(
        request=ObtainAuthToken.serializer_class,
        responses={200: TokenSerializer, 400: None, 429: None},
        auth=[],
        description=(
            "Five failed attempts lock the username, and separately the client address, for 15 minutes (429). "
            "With HYPERCARE_PASSWORD_LOGIN=staff-only a password opens only staff accounts (400 for others)."
        ),
    )
    def post(self, request, *args, **kwargs):
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            user = serializer.validated_data["user"]
            token = services.api_token_issue(user=user, reason="logged in through the API")
            return Response({"token": token.key, "expires_at": services.api_token_expires_at(token)})
        except serializers.ValidationError:
            # django-axes marks the request when the username or address is locked out.
            if getattr(request, "axes_locked_out", False):
                return Response(
                    {"detail": "Too many failed logins: try again in 15 minutes."},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            raise

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(
                description="The token sent with the request is revoked; logging in issues a new one."
            ),
            401: OpenApiResponse(
                description="No valid API token in the Authorization header (a session is not enough)."
            ),
        },
        description="Revoke the API token sent in the Authorization header (`Token …`).",
    )
    def delete(self, request, *args, **kwargs):
        if not isinstance(request.auth, Token):
            raise exceptions.NotAuthenticated("Send the API token to revoke in the Authorization header.")
        services.api_token_revoke(user=request.user, key=request.auth.key, reason="revoked by its holder")
        return Response(status=status.HTTP_204_NO_CONTENT)


class IsStaffForWrites(permissions.BasePermission):
    message = "Only staff can create or change programmes."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or request.user.is_staff


class ProgrammeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Programmes the caller is a member of. Staff create and update them."""

    serializer_class = ProgrammeSerializer
    permission_classes = [permissions.IsAuthenticated, IsStaffForWrites]
    lookup_field = "slug"
    filter_backends = []

    def get_queryset(self):
        return (
            Programme.objects.visible_to(self.request.user)
            .select_related("calendar")
            .prefetch_related("calendar__holidays")
            .order_by("name")
        )

    def get_object(self):
        programme = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS:
            programme = Programme.objects.select_for_update().get(pk=programme.pk)
        return programme

    def perform_create(self, serializer):
        attrs = ProgrammeSerializer.flatten(dict(serializer.validated_data))
        try:
            serializer.instance = services.programme_create(**attrs, by=self.request.user)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        """PUT and PATCH: the row lock that get_object takes is held until the update is saved."""
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        attrs = ProgrammeSerializer.flatten(dict(serializer.validated_data))
        attrs.pop("slug", None)
        try:
            serializer.instance = services.programme_update(
                programme=serializer.instance, by=self.request.user, **attrs
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None


class ProgrammeScopedMixin:
    """Resolves {slug} to the caller's access to that programme, 404 for non-members."""

    def access_for(self, user, slug: str):
        return get_programme_for(user, slug)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            self.access = self.access_for(request.user, kwargs["slug"])
        except Http404:
            raise Http404("No such programme.") from None
        self.programme = self.access.programme

    def require_lead(self):
        """A lead's write: 403 for other members, 409 for everyone once the programme is closed."""
        if not self.access.is_lead:
            self.access.refuse("Only the programme's hypercare leads can do this.")


class InvitationSentSerializer(serializers.Serializer):
    detail = serializers.CharField(
        help_text="Invitation sent to … : the same words whoever owns the address."
    )
    email = serializers.EmailField()


class MemberViewSet(
    ProgrammeScopedMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Members of a programme. Staff add any account; leads invite by e-mail (and change the roles of
    current members by username).

    Only staff grant or remove the sponsor and operational-owner roles; nobody changes their own roles.
    """

    serializer_class = MemberSerializer
    filter_backends = []
    lookup_field = "username"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return (
            Membership.objects.active()
            .filter(programme=self.programme)
            .select_related("user")
            .order_by("user__username")
        )

    @extend_schema(
        request=MemberSerializer,
        responses={
            201: OpenApiResponse(
                MemberSerializer,
                description="Staff: the account is a member now (created and e-mailed when the username is new). "
                "A lead who names a current member of this programme by username: their roles are changed.",
            ),
            202: OpenApiResponse(
                InvitationSentSerializer,
                description="A lead: an invitation went to the e-mail address; the person joins when they accept "
                "it. The answer is the same whether or not an account has this address.",
            ),
            400: OpenApiResponse(
                description="Bad fields (no e-mail from a lead for someone not yet on the programme), or a "
                "signatory role beside a delivery role."
            ),
            403: OpenApiResponse(
                description="Not a lead or staff; one's own roles; a sponsor or operational-owner role "
                "granted or removed by someone who is not staff."
            ),
            404: OpenApiResponse(description="No such programme for you."),
            409: OpenApiResponse(description="The programme is closed: only staff change its members."),
        },
    )
    def create(self, request, *args, **kwargs):
        if not request.user.is_staff:
            self.require_lead()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = data.get("user", {})
        fields = {
            "roles": data["roles"],
            "team": data["team"],
            "business_unit": data.get("business_unit", ""),
            "geography": data.get("geography", ""),
            "by": request.user,
        }
        try:
            if request.user.is_staff:
                if not user.get("username"):
                    raise serializers.ValidationError({"username": "Staff add an account by its username."})
                done = services.member_add(
                    programme=self.programme,
                    username=user["username"],
                    email=user.get("email", ""),
                    name=user.get("get_full_name", ""),
                    **fields,
                )
            else:
                done = services.member_add_or_invite(
                    programme=self.programme,
                    username=user.get("username", ""),
                    email=user.get("email", ""),
                    **fields,
                )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        if isinstance(done, Invitation):
            body = {"detail": services.INVITATION_SENT.format(email=done.email), "email": done.email}
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return Response(self.get_serializer(done).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a member",
        parameters=[
            OpenApiParameter("username", str, OpenApiParameter.PATH, description="The member's username.")
        ],
        request=None,
        responses={
            204: OpenApiResponse(
                description="Removed: no access from now on; their open tickets are back in the queue."
            ),
            403: OpenApiResponse(
                description="Not a lead or staff; oneself; a sponsor or operational owner removed by someone who "
                "is not staff."
            ),
            404: OpenApiResponse(description="No such programme for you, or no such member of it."),
            409: OpenApiResponse(
                description="Refused, saying why: the last lead, a signatory whose sign-off stands, or a closed "
                "programme (only staff change its members)."
            ),
        },
    )
    def destroy(self, request, slug=None, username=None):
        if not request.user.is_staff:
            self.require_lead()
        try:
            services.member_remove(programme=self.programme, username=username, by=request.user)
        except Membership.DoesNotExist:
            raise Http404("No such member of this programme.") from None
        except DjangoValidationError as error:
            return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Notifications -------------------------------------------------------------------------------


# The largest id a database stores (a bigger number is refused as bad input, not sent to SQLite).
MAX_ID = 2**63 - 1


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "link", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationsReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_empty=False,
        max_length=500,
        help_text="The notifications to mark as read (yours, in this programme; others match nothing).",
    )
    all = serializers.BooleanField(required=False, help_text="true: mark every unread notification as read.")

    def validate(self, attrs):
        if attrs.get("all") and "ids" in attrs:
            raise serializers.ValidationError({"ids": "Send either ids or all, not both."})
        if not attrs.get("all") and "ids" not in attrs:
            raise serializers.ValidationError({"ids": "Send the ids to mark as read, or all: true."})
        return attrs


class NotificationsReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications changed from unread to read.")
    unread = serializers.IntegerField(help_text="How many of yours in this programme are still unread.")


NOT_FOUND = OpenApiResponse(description="No such programme for you.")


class NotificationViewSet(ProgrammeScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's in-app notifications in this programme, newest first (the Notifications page)."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema only: get_queryset scopes to the caller
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        rows = notifications.inbox(self.access).order_by("-created_at", "-pk")
        if self.request.query_params.get("unread") in ("1", "true"):
            rows = rows.filter(read_at__isnull=True)
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="true: only the notifications not read yet.")
        ],
        responses={
            200: NotificationSerializer(many=True),
            401: OpenApiResponse(description="Not authenticated."),
            404: NOT_FOUND,
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=NotificationsReadSerializer,
        responses={
            200: NotificationsReadResultSerializer,
            400: OpenApiResponse(description="Neither ids nor all (or both), or an id that is not a number."),
            401: OpenApiResponse(description="Not authenticated."),
            404: NOT_FOUND,
        },
        description='Mark notifications as read: {"ids": [1, 2]} or {"all": true}. Reading a notification '
        "is yours to do even once the programme is closed.",
    )
    @action(detail=False, methods=["post"])
    def read(self, request, slug=None):
        payload = NotificationsReadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = None if payload.validated_data.get("all") else payload.validated_data["ids"]
        marked = notifications.notifications_mark_read(access=self.access, ids=ids)
        unread = notifications.inbox(self.access).filter(read_at__isnull=True).count()
        return Response({"marked": marked, "unread": unread})


class AuditQuerySerializer(serializers.Serializer):
    event = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="An event (membership.added) or a family (membership).",
    )
    actor = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text="A username.")
    since = serializers.DateField(required=False, help_text="From this day (the programme's time zone).")
    until = serializers.DateField(required=False, help_text="To this day, included.")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] < attrs["since"]:
            raise serializers.ValidationError({"until": "The end of the range cannot be before its start."})
        return attrs


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", help_text="The actor's username when it happened.")

    class Meta:
        model = AuditEntry
        fields = ["at", "event", "actor", "target", "details"]


class AuditViewSet(ProgrammeScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The programme's audit trail, newest first: leads and staff only."""

    serializer_class = AuditEntrySerializer
    filter_backends = []

    def get_queryset(self):
        query = AuditQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return audit_entries_for(self.programme, **query.validated_data)

    @extend_schema(
        parameters=[AuditQuerySerializer],
        responses={
            200: AuditEntrySerializer(many=True),
            400: OpenApiResponse(description="A filter that is not valid, named with the reason."),
            403: OpenApiResponse(description="Not a lead of this programme or staff."),
            404: OpenApiResponse(description="No such programme for you, or no such page."),
        },
    )
    def list(self, request, *args, **kwargs):
        if not (self.access.has_role(Role.LEAD) or request.user.is_staff):
            raise exceptions.PermissionDenied(
                "Only the programme's hypercare leads and staff read the audit trail."
            )
        return super().list(request, *args, **kwargs)
