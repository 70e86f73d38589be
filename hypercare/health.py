"""/healthz: is the database reachable, is the broker reachable, when did a worker last run."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hypercare.celery import app as celery_app
from hypercare.models import Heartbeat


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except Exception as error:  # any driver error means "down"; the message says why
        return False, f"{type(error).__name__}: {error}"


def broker_url() -> str:
    return celery_app.conf.broker_url


def check_broker() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write(broker_url()) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return True, conn.transport_cls if isinstance(
                conn.transport_cls, str
            ) else conn.transport.driver_name
    except Exception as error:
        return False, f"{type(error).__name__}: {error}"


@never_cache
@require_GET
def healthz(request):
    database_ok, database_detail = check_database()
    broker_ok, broker_detail = check_broker()
    last = None
    if database_ok:
        beat = Heartbeat.objects.order_by("-at").first()
        last = beat.at.isoformat() if beat else None
    healthy = database_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": {"ok": database_ok, "detail": database_detail},
            "broker": {"ok": broker_ok, "detail": broker_detail},
            "last_worker_heartbeat": last,
        },
        status=200 if healthy else 503,
    )
