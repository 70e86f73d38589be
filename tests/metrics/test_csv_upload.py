"""CSV telemetry upload in the browser: preview, line-numbered errors, all-or-nothing commit; baseline CSV."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from metrics import services
from metrics.models import Baseline, DataPoint, TelemetryUpload
from tests.metrics.conftest import NOW, day

pytestmark = pytest.mark.django_db
UPLOAD = "/p/acme/telemetry/upload/"


def csv_file(text: str | bytes, name: str = "telemetry.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, content_type="text/csv")


def upload(client, text, name="telemetry.csv"):
    return client.post(UPLOAD, {"file": csv_file(text, name)})


@pytest.fixture
def as_lead(client, lead, frozen_now):
    client.force_login(lead.user)
    return client


GOOD = f"""series,date,value,business_unit,geography,object
transactions,{day(-2)},51200,,,
daily_active_users,{day(-2)},140,Sales,UK,
records_created,{day(-2)},"1,204",,,Account
"""


def test_a_valid_file_is_previewed_and_stored_only_on_commit(as_lead, programme):
    response = upload(as_lead, GOOD)
    assert response.status_code == 302
    preview = as_lead.get(response.url)
    content = preview.content.decode()
    assert "3 data points passed every check" in content
    assert "records_created" in content and "Account" in content
    assert DataPoint.objects.count() == 0, "nothing is stored before the commit"
    upload_row = TelemetryUpload.objects.get()
    committed = as_lead.post(f"/p/acme/telemetry/upload/{upload_row.pk}/commit/", follow=True)
    assert "3 data points stored from telemetry.csv" in committed.content.decode()
    assert sorted(DataPoint.objects.values_list("series__slug", "value", "source")) == [
        ("daily_active_users", 140.0, "csv"),
        ("records_created", 1204.0, "csv"),
        ("transactions", 51200.0, "csv"),
    ]


def test_a_preview_is_committed_once(as_lead, programme):
    upload(as_lead, GOOD)
    pk = TelemetryUpload.objects.get().pk
    as_lead.post(f"/p/acme/telemetry/upload/{pk}/commit/")
    response = as_lead.post(f"/p/acme/telemetry/upload/{pk}/commit/", follow=True)
    assert "already committed" in response.content.decode()
    assert DataPoint.objects.count() == 3


def test_a_file_that_turned_bad_before_the_commit_stores_nothing(as_lead, programme):
    upload(as_lead, GOOD)
    pk = TelemetryUpload.objects.get().pk
    programme.metric_series.filter(slug="records_created").delete()  # the series went away meanwhile
    response = as_lead.post(f"/p/acme/telemetry/upload/{pk}/commit/", follow=True)
    assert "Line 4 (series): Unknown series &#x27;records_created&#x27;" in response.content.decode()
    assert DataPoint.objects.count() == 0
    assert TelemetryUpload.objects.get().committed_at is None


def test_a_row_repeating_a_stored_point_replaces_it(as_lead, programme):
    services.telemetry_ingest(
        programme=programme, points=[{"series": "transactions", "date": day(-2), "value": 1}], at=NOW
    )
    upload(as_lead, GOOD)
    services.telemetry_upload_commit(upload=TelemetryUpload.objects.get(), by=None, at=NOW)
    assert DataPoint.objects.get(series__slug="transactions").value == 51200.0
    assert DataPoint.objects.count() == 3


BAD_FILES = [
    ("   \n\n", "File: The file is empty."),
    ("series,date,value\n", "File: The file has a header but no data rows."),
    ("series,date\ntransactions,2026-03-01\n", "Line 1: Missing column(s): value."),
    ("series,date,value,colour\n", "Line 1: Unknown column &#x27;colour&#x27;"),
    ("series,date,value,value\n", "Line 1: Column &#x27;value&#x27; appears twice."),
    (f"series,date,value\ntransactions,{day(-1)}\n", "Line 2: Expected 3 fields, found 2."),
    (f"series,date,value\ntransactions,{day(-1)},1,2\n", "Line 2: Expected 3 fields, found 4."),
    (f"series,date,value\npage_views,{day(-1)},1\n", "Line 2 (series): Unknown series &#x27;page_views&#x27;"),
    (f"series,date,value\n,{day(-1)},1\n", "Line 2 (series): A series is required."),
    ("series,date,value\ntransactions,19/03/2026,1\n", "Line 2 (date): &#x27;19/03/2026&#x27; is not a date"),
    ("series,date,value\ntransactions,,1\n", "Line 2 (date): A date is required"),
    (f"series,date,value\ntransactions,{day(1)},1\n", f"Line 2 (date): {day(1)} is in the future"),
    (f"series,date,value\ntransactions,{day(-1)},twelve\n", "Line 2 (value): &#x27;twelve&#x27; is not a number."),
    (f"series,date,value\ntransactions,{day(-1)},\n", "Line 2 (value): A numeric value is required."),
    (f"series,date,value\ntransactions,{day(-1)},-4\n", "Line 2 (value): &#x27;-4&#x27; is negative"),
    (f"series,date,value\ntransactions,{day(-1)},nan\n", "Line 2 (value): &#x27;nan&#x27; is not a finite number."),
    (f"series,date,value,object\ntransactions,{day(-1)},1,{'x' * 101}\n", "Line 2 (dimensions.object): At most 100"),
    (f"series,date,value\ntransactions,{day(-1)},1\ntransactions,{day(-1)},2\n",
     "Line 3: Repeats line 2 (same series, date and dimensions)."),
    ('series,date,value\ntransactions,"2026-03-01,1\n', "Line 2: Expected 3 fields, found 2."),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_a_bad_file_is_refused_with_the_line_and_nothing_is_kept(as_lead, programme, text, message):
    response = upload(as_lead, text)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Nothing was stored." in content
    assert message in content, content[content.find("upload-errors") : content.find("upload-errors") + 600]
    assert DataPoint.objects.count() == 0
    assert TelemetryUpload.objects.count() == 0


def test_an_empty_file_is_refused(as_lead, programme):
    response = upload(as_lead, "")
    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()
    assert TelemetryUpload.objects.count() == 0


def test_a_file_that_is_not_utf8_is_refused(as_lead, programme):
    response = upload(as_lead, "series,date,value\ntransactions,2026-03-01,1\nSão Paulo".encode("latin-1"))
    assert "File: The file is not UTF-8 text" in response.content.decode()


def test_a_file_too_large_is_refused(as_lead, programme, settings):
    big = "series,date,value\n" + f"transactions,{day(-1)},1\n" * 300_000
    response = upload(as_lead, big)
    assert "larger than 5 MB" in response.content.decode()


def test_too_many_rows_are_refused(as_lead, programme, monkeypatch):
    from metrics.services import uploads

    monkeypatch.setattr(uploads, "MAX_CSV_ROWS", 2)
    text = "series,date,value\n" + "".join(f"transactions,{day(-n)},1\n" for n in range(1, 4))
    assert "Line 4: More than 2 rows: split the file." in upload(as_lead, text).content.decode()


def test_every_bad_line_is_listed_with_its_own_number(as_lead, programme):
    text = f"series,date,value\n\ntransactions,{day(-1)},1\nnope,{day(-1)},1\n\ntransactions,{day(-2)},-1\n"
    content = upload(as_lead, text).content.decode()
    # Blank lines are skipped but still counted: the numbers match the file in an editor.
    assert "Line 4 (series)" in content and "Line 6 (value)" in content


def test_a_spreadsheet_export_with_a_byte_order_mark_and_crlf_is_read(as_lead, programme):
    text = "\ufeffSeries,Date,Value\r\n" + f"transactions,{day(-1)},10\r\n"
    assert upload(as_lead, text.encode("utf-8")).status_code == 302


def test_only_leads_upload_and_commit(client, programme, desk, lead, frozen_now):
    client.force_login(desk.user)
    assert upload(client, GOOD).status_code == 403
    staged = services.telemetry_upload_stage(programme=programme, content=GOOD.encode(), by=lead.user, at=NOW)
    assert client.get(f"/p/acme/telemetry/upload/{staged.pk}/").status_code == 403
    assert client.post(f"/p/acme/telemetry/upload/{staged.pk}/commit/").status_code == 403
    assert DataPoint.objects.count() == 0


def test_another_programmes_upload_is_not_found(
    client, programme, other_programme, lead, outsider, frozen_now
):
    staged = services.telemetry_upload_stage(
        programme=other_programme, content=GOOD.encode(), by=outsider.user, at=NOW
    )
    client.force_login(lead.user)
    assert client.get(f"/p/acme/telemetry/upload/{staged.pk}/").status_code == 404
    assert client.post(f"/p/acme/telemetry/upload/{staged.pk}/commit/").status_code == 404


# Baselines ------------------------------------------------------------------------------------


def test_a_lead_uploads_baselines_all_or_nothing(as_lead, programme):
    good = "series,value,object,note\nrecords_created,120,Account,Legacy CRM\ncycle_time_minutes,45,quote_generation,\n"
    response = as_lead.post("/p/acme/telemetry/baselines/upload/", {"file": csv_file(good)})
    assert response.status_code == 302
    assert sorted(Baseline.objects.values_list("series__slug", "object", "value")) == [
        ("cycle_time_minutes", "quote_generation", 45.0),
        ("records_created", "Account", 120.0),
    ]
    bad = "series,value,business_unit,object\nrecords_created,130,,Account\nrecords_created,0,,Case\nnope,1,,\nrecords_created,5,Sales,Lead\n"
    response = as_lead.post("/p/acme/telemetry/baselines/upload/", {"file": csv_file(bad)})
    content = response.content.decode()
    assert response.status_code == 400
    assert "Line 3 (value): A baseline is a positive number." in content
    assert "Line 4 (series): Unknown series" in content
    assert "Line 5 (dimensions): A baseline is for the whole series or for one" in content
    assert Baseline.objects.get(object="Account").value == 120.0, "nothing of the bad file was saved"


def test_a_lead_enters_and_removes_a_baseline(as_lead, programme):
    response = as_lead.post(
        "/p/acme/telemetry/baselines/",
        {"series": "records_created", "value": "80", "object": "Lead", "note": "2025"},
    )
    assert response.status_code == 302
    baseline = Baseline.objects.get()
    assert (baseline.object, baseline.value) == ("Lead", 80.0)
    as_lead.post(
        "/p/acme/telemetry/baselines/", {"series": "records_created", "value": "90", "object": "Lead"}
    )
    assert Baseline.objects.get().value == 90.0, "the same series and dimension is replaced"
    as_lead.post(f"/p/acme/telemetry/baselines/{baseline.pk}/delete/")
    assert not Baseline.objects.exists()


def test_a_baseline_needs_a_positive_value_and_one_dimension_at_most(as_lead, programme):
    response = as_lead.post("/p/acme/telemetry/baselines/", {"series": "records_created", "value": "0"})
    assert "A baseline is a positive number." in response.content.decode()
    response = as_lead.post(
        "/p/acme/telemetry/baselines/",
        {"series": "records_created", "value": "3", "object": "Lead", "geography": "UK"},
    )
    assert "one business unit, geography or object" in response.content.decode()
    assert not Baseline.objects.exists()
