"""The exit's outcome where people read it: "closed with N exceptions accepted by …" on the programme
page, the celebration (no confetti then), the exit report and its PDF, with the open backlog and the
open known issues handed to BAU. Confetti only for a clean exit."""

import re
import zlib
from datetime import timedelta

import pytest

from handover import services
from handover.criteria import gate_evaluate
from handover.models import CriterionKind, ExitCriterion
from handover.selectors import exit_outcome
from tests.factories import PASSWORD, KnownIssueFactory
from tests.handover.factories import AT, access_of, ticket

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    """The text drawn in a PDF made by fpdf2 (its page streams are zlib-compressed)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            texts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    drawn = re.findall(r"\(((?:[^()\\]|\\.)*)\) ?Tj", "\n".join(texts))
    return "".join(re.sub(r"\\(.)", r"\1", part) for part in drawn)


@pytest.fixture
def gate_criteria(programme):
    ExitCriterion.objects.of(programme).exclude(
        kind__in=[CriterionKind.OPEN_SEV12, CriterionKind.NEW_SEV12, CriterionKind.VOLUME_TREND]
    ).delete()


def sign(persona, programme, justification: str):
    failing = gate_evaluate(programme=programme, at=AT).failing
    return services.signoff_create(
        access=access_of(persona),
        password=PASSWORD,
        justifications={str(r.criterion.pk): justification for r in failing},
        at=AT,
    )


@pytest.fixture
def closed_with_exceptions(programme, gate_criteria, sponsor, owner, bau):
    sponsor.user.first_name, sponsor.user.last_name = "Helen", "Clarke"
    sponsor.user.save()
    owner.user.first_name, owner.user.last_name = "David", "Osei"
    owner.user.save()
    for n in range(4):
        ticket(programme, reported_at=AT - timedelta(days=2, hours=n), severity=1, title=f"Orders stuck {n}",
               assignee=bau.user if n == 0 else None)  # fmt: skip
    KnownIssueFactory(programme=programme, title="Invoices slow at month end", status="fix_in_progress",
                      workaround="Run the batch at night.")  # fmt: skip
    KnownIssueFactory(programme=programme, title="Old fixed one", status="fixed")
    sign(sponsor, programme, "The board accepts the Sev1 backlog: BAU owns it.")
    sign(owner, programme, "BAU has capacity for these.")
    programme.refresh_from_db()
    assert programme.is_closed
    return programme


def test_the_outcome_counts_each_exception_once_with_everyone_who_accepted_it(closed_with_exceptions):
    outcome = exit_outcome(closed_with_exceptions)
    failing = gate_evaluate(programme=closed_with_exceptions, at=AT).failing
    assert not outcome.clean and len(outcome.exceptions) == len(failing) >= 1
    first = outcome.exceptions[0]
    assert [a.signatory for a in first.acceptances] == ["Helen Clarke", "David Osei"]
    n = len(failing)
    assert outcome.summary == (
        f"Closed with {n} exception{'s' if n != 1 else ''} accepted by "
        "Helen Clarke (business sponsor) and David Osei (operational owner)."
    )


def test_the_programme_page_says_closed_with_exceptions_accepted_by(client, closed_with_exceptions, viewer):
    client.force_login(viewer.user)
    page = client.get("/p/acme/").content.decode()
    n = len(exit_outcome(closed_with_exceptions).exceptions)
    assert f"Closed with {n} exception" in page and "accepted by Helen Clarke" in page
    first = exit_outcome(closed_with_exceptions).exceptions[0]
    assert f"{first.title}</strong>: not met when signed: {first.value_display}." in page
    assert "The board accepts the Sev1 backlog" in page
    assert "confetti" not in page


def test_the_celebration_shows_the_exceptions_and_no_confetti(client, closed_with_exceptions, sponsor):
    client.force_login(sponsor.user)
    page = client.get("/p/acme/celebration/").content.decode()
    assert 'class="confetti"' not in page and "carried safely through hypercare" not in page
    assert "hypercare is closed" in page and "accepted by Helen Clarke" in page
    assert "4 tickets still open" in page


def test_the_exit_report_lists_the_outcome_the_open_backlog_and_the_open_known_issues(
    client, closed_with_exceptions, lead
):
    client.force_login(lead.user)
    page = client.get("/p/acme/exit-report/").content.decode()
    assert "accepted by Helen Clarke" in page
    backlog = page[page.index('id="open-backlog"') : page.index('id="open-known-issues"')]
    assert backlog.count("Sev1") == 4 and "Orders stuck 0" in backlog and "ACME-" in backlog
    assert (
        "unassigned" in backlog
        and closed_with_exceptions.memberships.get(user__username="bau").user.get_full_name() in backlog
    )
    known = page[page.index('id="open-known-issues"') :]
    assert "Invoices slow at month end" in known and "Old fixed one" not in known
    text = pdf_text(client.get("/p/acme/exit-report.pdf").content)
    assert "Closed with" in text and "accepted by Helen Clarke" in text
    assert "Open backlog handed to BAU (4 tickets)" in text and "Orders stuck 0" in text
    assert "Invoices slow at month end" in text


def test_a_clean_exit_gets_the_confetti(client, programme, gate_criteria, sponsor, owner):
    sign(sponsor, programme, "")
    sign(owner, programme, "")
    programme.refresh_from_db()
    outcome = exit_outcome(programme)
    assert programme.is_closed and outcome.clean and not outcome.exceptions
    client.force_login(owner.user)
    page = client.get("/p/acme/celebration/").content.decode()
    assert 'class="confetti"' in page and "carried safely through hypercare" in page
    assert "Closed clean" in client.get("/p/acme/").content.decode()


def test_a_long_workaround_still_fits_the_pdf(client, programme, lead):
    KnownIssueFactory(
        programme=programme, title="Long one", status="investigating", workaround="step\n" * 2000
    )
    client.force_login(lead.user)
    response = client.get("/p/acme/exit-report.pdf")
    assert response.status_code == 200 and "Long one" in pdf_text(response.content)
    assert client.get("/p/acme/exit-report/").content.decode().count("step<br>") >= 1999  # all of it in HTML
