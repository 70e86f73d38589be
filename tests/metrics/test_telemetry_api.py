"""POST /api/v1/programmes/{slug}/telemetry/: upsert, all-or-nothing validation, and the ingestion token's scope."""

import json

import pytest
from rest_framework.test import APIClient

from metrics import services
from metrics.models import DataPoint, IngestionToken, MetricSeries
from metrics.telemetry import STANDARD_SLUGS
from tests.factories import ProgrammeFactory
from tests.metrics.conftest import NOW, day, point

pytestmark = pytest.mark.django_db
URL = "/api/v1/programmes/acme/telemetry/"


@pytest.fixture
def token(programme, lead):
    return services.ingestion_token_create(programme=programme, name="Event Monitoring export", by=lead.user)


def pipeline(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def stored(programme) -> dict:
    return {
        (p.series.slug, p.date.isoformat(), p.business_unit, p.geography, p.object): p.value
        for p in DataPoint.objects.filter(series__programme=programme).select_related("series")
    }


def test_every_new_programme_gets_the_standard_series(programme):
    series = MetricSeries.objects.filter(programme=programme, is_standard=True)
    assert sorted(series.values_list("slug", flat=True)) == sorted(STANDARD_SLUGS)
    assert set(STANDARD_SLUGS) == {
        "daily_active_users", "weekly_active_users", "records_created", "cycle_time_minutes", "transactions",
        "exceptions", "governor_limit_alerts", "lock_contentions", "integration_success", "integration_failure",
        "api_latency_ms",
    }  # fmt: skip


def test_a_pipeline_posts_points_with_its_token(programme, token, frozen_now):
    response = pipeline(token.key).post(
        URL,
        [
            point("transactions", -1, 51200),
            point("daily_active_users", -1, 140, business_unit="Sales", geography="UK"),
            point("cycle_time_minutes", -1, 62.5, object="quote_generation"),
        ],
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 3}
    assert stored(programme) == {
        ("transactions", day(-1), "", "", ""): 51200.0,
        ("daily_active_users", day(-1), "Sales", "UK", ""): 140.0,
        ("cycle_time_minutes", day(-1), "", "", "quote_generation"): 62.5,
    }
    token.token.refresh_from_db()
    assert token.token.last_used_at == NOW


def test_resending_a_day_replaces_its_values_instead_of_duplicating_them(programme, token, frozen_now):
    client = pipeline(token.key)
    client.post(
        URL, [point("exceptions", -1, 40), point("exceptions", -1, 5, business_unit="Sales")], format="json"
    )
    client.post(URL, [point("exceptions", -1, 42), point("exceptions", -2, 7)], format="json")
    assert stored(programme) == {
        ("exceptions", day(-1), "", "", ""): 42.0,
        ("exceptions", day(-1), "Sales", "", ""): 5.0,
        ("exceptions", day(-2), "", "", ""): 7.0,
    }


def test_it_ingests_a_large_request_in_a_constant_number_of_queries(
    programme, token, frozen_now, django_assert_num_queries
):
    points = [point("transactions", -n, n) for n in range(1, 101)]
    # token lookup, last-used stamp, savepoint, series of the programme, the upsert, release savepoint
    with django_assert_num_queries(6):
        response = pipeline(token.key).post(URL, points, format="json")
    assert response.json() == {"accepted": 100}


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"series": "page_views", "date": day(-1), "value": 1}, "series", "Unknown series 'page_views'"),
        ({"date": day(-1), "value": 1}, "series", "A series is required"),
        ({"series": "transactions", "date": day(-1), "value": "12"}, "value", "send a JSON number"),
        ({"series": "transactions", "date": day(-1), "value": "lots"}, "value", "not a number"),
        ({"series": "transactions", "date": day(-1), "value": True}, "value", "numeric value is required"),
        ({"series": "transactions", "date": day(-1)}, "value", "numeric value is required"),
        ({"series": "transactions", "date": day(-1), "value": -3}, "value", "negative"),
        ({"series": "transactions", "date": day(1), "value": 3}, "date", "in the future"),
        ({"series": "transactions", "date": "20/03/2026", "value": 3}, "date", "not a date"),
        ({"series": "transactions", "date": "2026-3-1", "value": 3}, "date", "not a date"),
        ({"series": "transactions", "value": 3}, "date", "A date is required"),
        ({"series": "transactions", "date": day(-1), "value": 3, "dimensions": {"team": "x"}}, "dimensions.team",
         "Unknown dimension"),
        ({"series": "transactions", "date": day(-1), "value": 3, "dimensions": {"object": "x" * 101}},
         "dimensions.object", "At most 100"),
        ({"series": "transactions", "date": day(-1), "value": 3, "dimensions": "Sales"}, "dimensions",
         "must be an object"),
        ({"series": "transactions", "date": day(-1), "value": 3, "unit": "x"}, "unit", "Unknown field"),
        ("transactions", "non_field_errors", "must be an object"),
    ],
)  # fmt: skip
def test_one_bad_point_rejects_the_request_naming_its_index_and_field(
    programme, token, frozen_now, bad, field, message
):
    response = pipeline(token.key).post(URL, [point("transactions", -2, 10), bad], format="json")
    assert response.status_code == 400
    body = response.json()
    assert "nothing was stored" in body["detail"]
    error = body["errors"][0]
    assert (error["index"], error["field"]) == (1, field)
    assert message in error["message"]
    assert DataPoint.objects.count() == 0


def test_a_point_repeated_within_a_request_is_refused(programme, token, frozen_now):
    same = point("exceptions", -1, 3, business_unit="Sales")
    response = pipeline(token.key).post(URL, [same, point("exceptions", -1, 4), same], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 2,
            "field": "non_field_errors",
            "message": "Repeats index 0 (same series, date and dimensions).",
        }
    ]


def test_it_lists_every_problem_not_just_the_first(programme, token, frozen_now):
    response = pipeline(token.key).post(
        URL, [point("nope", -1, 1), point("transactions", 3, -1)], format="json"
    )
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (0, "series"), (1, "date"), (1, "value")
    ]  # fmt: skip


def test_the_body_must_be_an_array_of_points(programme, token, frozen_now):
    response = pipeline(token.key).post(URL, {"series": "transactions"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Send a JSON array of points."


def test_a_date_is_in_the_future_by_the_programmes_own_calendar(db, lead, frozen_now):
    # At 12:00 UTC on 20 March it is already the 21st in Auckland.
    auckland = ProgrammeFactory(slug="akl", timezone="Pacific/Auckland")
    token = services.ingestion_token_create(programme=auckland, name="pipe", by=lead.user)
    response = pipeline(token.key).post(
        "/api/v1/programmes/akl/telemetry/", [point("transactions", 1, 5)], format="json"
    )
    assert response.status_code == 200


def test_a_token_cannot_write_to_another_programme(programme, other_programme, token, frozen_now):
    response = pipeline(token.key).post(
        "/api/v1/programmes/globex/telemetry/", [point("transactions", -1, 5)], format="json"
    )
    assert response.status_code == 404
    assert DataPoint.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/programmes/",
        "/api/v1/programmes/acme/",
        "/api/v1/programmes/acme/members/",
        "/api/v1/programmes/acme/snapshots/",
        "/api/v1/programmes/acme/scorecard/",
    ],
)
def test_a_token_can_read_nothing(programme, token, url):
    for scheme in ("Bearer", "Token"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token.key}")
        assert client.get(url).status_code == 401, (scheme, url)


def test_a_token_opens_no_page_either(client, programme, token):
    response = client.get("/p/acme/scorecard/", HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_token_cannot_read_the_telemetry_it_wrote(programme, token):
    assert pipeline(token.key).get(URL).status_code == 405


def test_a_revoked_or_unknown_token_is_refused(programme, token, lead, frozen_now):
    services.ingestion_token_revoke(token=token.token, by=lead.user)
    assert pipeline(token.key).post(URL, [point("transactions", -1, 5)], format="json").status_code == 401
    assert pipeline("hct_not-a-real-key").post(URL, [], format="json").status_code == 401
    assert DataPoint.objects.count() == 0


def test_only_the_hash_of_a_token_is_stored(programme, token):
    row = IngestionToken.objects.get()
    assert token.key.startswith("hct_") and len(token.key) > 40
    assert token.key not in (row.key_hash, row.prefix, row.name)
    assert row.prefix == token.key[:10]


def test_a_lead_may_post_with_their_own_api_token_or_session(programme, lead, frozen_now):
    assert lead.api().post(URL, [point("transactions", -1, 5)], format="json").status_code == 200
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(lead.user)
    # A session must carry its CSRF token like any other state change.
    assert session.post(URL, [point("transactions", -1, 6)], format="json").status_code == 403
    assert stored(programme)[("transactions", day(-1), "", "", "")] == 5.0


def test_members_who_are_not_leads_may_not_post(programme, desk, sponsor, frozen_now):
    for persona in (desk, sponsor):
        assert persona.api().post(URL, [point("transactions", -1, 5)], format="json").status_code == 403


def test_a_non_member_gets_404_and_anonymous_gets_401(programme, outsider, frozen_now):
    assert outsider.api().post(URL, [point("transactions", -1, 5)], format="json").status_code == 404
    assert APIClient().post(URL, [point("transactions", -1, 5)], format="json").status_code == 401


def test_a_day_of_telemetry_larger_than_djangos_form_limit_is_accepted(
    programme, token, frozen_now, settings
):
    units = [f"Unit {n}" for n in range(50)]
    points = [
        point(series, -d, 1, business_unit=unit, geography="UK", object="Account")
        for d in range(1, 11)
        for series in ("transactions", "exceptions", "records_created")
        for unit in units
    ]
    body = json.dumps(points).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000  # the same test as the real 2.5 MB, with a smaller body
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = pipeline(token.key).post(URL, body, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"accepted": 1500}


def test_a_body_beyond_the_telemetry_limit_or_malformed_is_refused(programme, token, frozen_now, monkeypatch):
    from metrics import api

    client = pipeline(token.key)
    response = client.post(URL, b"[{", content_type="application/json")
    assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]
    monkeypatch.setattr(api, "MAX_TELEMETRY_BODY", 100)
    response = client.post(
        URL, json.dumps([point("transactions", -n, 1) for n in range(1, 20)]), content_type="application/json"
    )
    assert response.status_code == 400 and "split the points over requests" in response.json()["detail"]
    assert DataPoint.objects.count() == 0
