"""Stored XSS, in a real browser: every payload in every user-writable field, every page rendered.

The payloads (xss_payloads.py) go into titles, descriptions, comments, people's names, business
units, file names, CSV-imported tickets, known issues, criteria, handover items, hotfixes,
production changes, telemetry series and baselines. Then chromium opens every page and htmx
partial of the programme as a lead and as a champion, every status email's HTML, and every
export. Nothing may run (alert/confirm/prompt and a global flag are instrumented), the CSP must
never have to block anything, no request may go to a payload's URL, and no payload may come out
as markup (an element or attribute of its own).
"""

from __future__ import annotations

import itertools

import pytest
from django.core import mail

from hypercare.notifications import deliver_emails
from tests.conftest import log_in
from tests.factories import PASSWORD
from tests.security.access_matrix import MATRIX
from tests.security.probe import OK, url_for
from tests.security.routes import inventory
from tests.security.world import build_world
from tests.security.xss_payloads import PAYLOADS, all_payloads

pytestmark = pytest.mark.browser

_next = itertools.count()


def xss_text(kind: str) -> str:
    """Short fields get one payload each (cycling through the corpus); long ones get all of them."""
    if kind in ("body", "reason"):
        return all_payloads()
    if kind == "file":
        return PAYLOADS[next(_next) % len(PAYLOADS)].replace("/", "")[:120]
    return PAYLOADS[next(_next) % len(PAYLOADS)]


INSTRUMENT = """
(() => {
  const hits = [];
  window.__xssHits = hits;
  const record = (kind, value) => hits.push(kind + ': ' + String(value).slice(0, 120));
  window.alert = (v) => record('alert', v);
  window.confirm = (v) => { record('confirm', v); return false; };
  window.prompt = (v) => { record('prompt', v); return null; };
  Object.defineProperty(window, '__pwned', { set(v) { record('flag', v); }, get() { return undefined; } });
  document.addEventListener('securitypolicyviolation',
    (e) => record('csp', e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')), true);
  const log = console.log.bind(console);
  console.log = (...args) => { if (String(args[0]).includes('XSS')) record('console', args[0]); log(...args); };
})();
"""

# Elements and attributes through which markup would act; user text may only be text or a value.
SCAN = """
() => {
  const found = [];
  const dangerous = /^(on|hx-|data-hx-|srcdoc$|formaction$|style$)/i;
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value || '';
      // The page's own CSRF header: a random token that can spell "XSS" by chance.
      if (el.tagName === 'BODY' && name === 'hx-headers' && /^\\{"X-CSRFToken": "[A-Za-z0-9]+"\\}$/.test(value)) continue;
      if (dangerous.test(name) && value.includes('XSS')) found.push(el.tagName + ' ' + name + '=' + value.slice(0, 60));
      if (dangerous.test(name) && name.startsWith('on')) found.push(el.tagName + ' ' + name + ' (inline handler)');
      if (['href', 'src', 'action', 'data'].includes(name) && /^\\s*(javascript|data|vbscript):/i.test(value))
        found.push(el.tagName + ' ' + name + '=' + value.slice(0, 60));
    }
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'BASE', 'META', 'LINK', 'STYLE', 'MARQUEE', 'VIDEO'].includes(el.tagName)
        && el.outerHTML.includes('XSS')) found.push('<' + el.tagName.toLowerCase() + '> ' + el.outerHTML.slice(0, 80));
    if (el.namespaceURI !== 'http://www.w3.org/1999/xhtml' && el.outerHTML.includes('XSS'))
      found.push('foreign element ' + el.tagName);
  }
  return found;
}
"""


def _xss_world():
    from metrics import services as metrics
    from tickets import imports
    from tickets import services as tickets

    world = build_world(a_text=xss_text)
    side = world.a
    desk, lead = side.access("desk"), side.access("lead")
    # One ticket per payload in its title, so every payload shows in the queue and lists.
    for payload in PAYLOADS:
        tickets.ticket_create(
            access=desk, title=payload[:200], description=payload, severity=3, severity_reason=payload,
            business_unit=payload[:100], process=payload[:200],
        )  # fmt: skip
        tickets.known_issue_create(access=desk, title=payload[:200], symptoms=payload, workaround=payload)
    # CSV-imported tickets carrying the payloads in every mapped column.
    rows = ["Summary,Description,Created,Unit,Component,Key"]
    for n, payload in enumerate(PAYLOADS[:20]):
        cell = '"' + payload.replace('"', '""') + '"'
        rows.append(f"{cell},{cell},2026-01-05 10:00,{cell},{cell},XSS-{n}")
    table = imports.csv_read("\n".join(rows).encode())
    mapping = imports.ImportMapping(
        columns={"title": "Summary", "description": "Description", "reported_at": "Created",
                 "business_unit": "Unit", "process": "Component", "source_reference": "Key"},
        default_severity=3, date_order="year_first",
    )  # fmt: skip
    imports.tickets_import(access=lead, table=table, mapping=mapping, source_name=PAYLOADS[0])
    # Telemetry dimensions and baselines from CSV.
    series = side.objects["series"]
    baseline_rows = ["series,value,business_unit,note"] + [
        f'{series.slug},{n + 1},"{p[:90].replace(chr(34), chr(34) * 2)}","{p[:190].replace(chr(34), chr(34) * 2)}"'
        for n, p in enumerate(PAYLOADS[20:40])
    ]
    metrics.baselines_import_csv(programme=side.programme, content="\n".join(baseline_rows), by=lead.user)
    return world


def _show_without_csp(page, html: str) -> None:
    """Open `html` as a document of its own, served with no Content-Security-Policy at all."""
    page.route("http://mail.invalid/**", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto("http://mail.invalid/message", wait_until="load")
    page.wait_for_timeout(100)
    page.unroute("http://mail.invalid/**")


def _page_urls(world, role):
    for name, routes in sorted(inventory().items()):
        entry = MATRIX.get(name)
        if entry is None or entry.kind not in ("page", "public") or "GET" not in entry.methods:
            continue
        if entry.methods["GET"].get(role) != OK:
            continue
        yield name, entry, url_for(name, routes[0].params, world.a, entry.obj)


def _visit(page, url, problems, requests):
    hits_before = len(requests)
    response = page.goto(url, wait_until="load")
    page.wait_for_timeout(150)  # let htmx process the page (hx-trigger="load" would fire now)
    hits = page.evaluate("window.__xssHits || []")
    markup = page.evaluate(SCAN)
    problems += [f"{url}: ran {hit}" for hit in hits]
    problems += [f"{url}: markup {found}" for found in markup]
    problems += [f"{url}: requested {r}" for r in requests[hits_before:]]
    return response


@pytest.mark.parametrize("role", ["lead", "champion"])
def test_no_stored_payload_runs_or_turns_into_markup_on_any_page(
    signoff_guard_restored, browser_page, signoff_guard_lifted, private_media, role
):
    page = browser_page
    world = _xss_world()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if ("/xss/" in r.url or "XSS" in r.url) else None)
    page.context.add_init_script(INSTRUMENT)
    log_in(page, world.a.user(role).username, PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    problems, visited = [], 0
    for _name, entry, url in _page_urls(world, role):
        if not entry.htmx:  # downloads: they must not render at all
            with page.expect_download() as download:
                page.evaluate(
                    "url => { const a = document.createElement('a'); a.href = url; a.click(); }", url
                )
            assert download.value.suggested_filename, url
            continue
        _visit(page, url, problems, requests)
        visited += 1
        # The same URL as an htmx partial, rendered on its own.
        page.set_extra_http_headers({"HX-Request": "true"})
        try:
            _visit(page, url, problems, requests)
        finally:
            page.set_extra_http_headers({})
    assert visited > 30
    assert not page.js_errors or all("XSS" not in e for e in page.js_errors), page.js_errors
    assert not problems, f"{role}:\n" + "\n".join(sorted(set(problems)))


def test_no_payload_runs_in_any_email(
    signoff_guard_restored, browser_page, signoff_guard_lifted, private_media, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from handover.services.weekly import weekly_report_send

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page = browser_page
    world = _xss_world()
    mail.outbox = []
    deliver_emails()
    # The world sent today's summary already: tomorrow's is a new one, with every ticket in it.
    weekly_report_send(programme=world.a.programme, at=timezone.now() + timedelta(days=1))
    deliver_emails()
    assert mail.outbox
    page.context.add_init_script(INSTRUMENT)
    problems, rendered = [], 0
    for message in mail.outbox:
        assert "<script" not in message.subject.lower() or "&lt;" not in message.subject  # plain-text subject
        for html, mimetype in getattr(message, "alternatives", []):
            if mimetype != "text/html":
                continue
            rendered += 1
            # An email client shows the HTML without our CSP: escaping is the only defence here.
            _show_without_csp(page, html)
            problems += [
                f"{message.subject[:60]}: ran {hit}" for hit in page.evaluate("window.__xssHits || []")
            ]
            problems += [f"{message.subject[:60]}: markup {found}" for found in page.evaluate(SCAN)]
    assert rendered, "expected HTML emails (status reports)"
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_instruments_catch_a_payload_that_gets_through(
    signoff_guard_restored, browser_page, signoff_guard_lifted
):
    """The detectors themselves: markup that did get through is seen, and so is a script that ran."""
    page = browser_page
    page.context.add_init_script(INSTRUMENT)
    _show_without_csp(
        page,
        "<p>ok</p><img src=x onerror=\"alert('XSS11')\"><div hx-get='/xss/XSS48'>x</div><script>window.__pwned=1</script>",
    )
    hits = page.evaluate("window.__xssHits || []")
    assert any(hit.startswith("alert") for hit in hits) and any(hit.startswith("flag") for hit in hits), hits
    found = page.evaluate(SCAN)
    assert any("onerror" in f for f in found) and any("hx-get" in f for f in found), found
