"""Stored-XSS payloads written into every user-writable field by the battery.

Each payload carries a marker "XSSnn" so a hit names the payload. A payload that runs calls
alert/confirm/prompt, sets window.__pwned, or requests a URL under /xss/ (which the browser
tests count); htmx payloads ask htmx to request /xss/… on load. Some are deliberately split
across field limits or wrapped in entities, and some are template syntax that must stay text.
"""

from __future__ import annotations

RAW = [
    # Script tags, in their many spellings.
    "<script>alert('XSS01')</script>",
    "<ScRiPt>window.__pwned='XSS02'</ScRiPt>",
    "<script src=/xss/XSS03.js></script>",
    "<script>fetch('/xss/XSS04')</script>",
    "</textarea><script>alert('XSS05')</script>",
    "</title><script>alert('XSS06')</script>",
    "\"><script>alert('XSS07')</script>",
    "'><script>alert('XSS08')</script>",
    "<scr<script>ipt>alert('XSS09')</scr</script>ipt>",
    "</script><script>alert('XSS10')</script>",
    # Event handlers.
    "<img src=x onerror=alert('XSS11')>",
    "<img src=/xss/XSS12.png>",
    "<body onload=alert('XSS13')>",
    "<svg onload=alert('XSS14')>",
    "<svg><script>alert('XSS15')</script></svg>",
    "<svg><animate onbegin=alert('XSS16') attributeName=x dur=1s>",
    "<details open ontoggle=alert('XSS17')>",
    "<input autofocus onfocus=alert('XSS18')>",
    "<video><source onerror=alert('XSS19')></video>",
    "<iframe src=\"javascript:alert('XSS20')\"></iframe>",
    "<iframe srcdoc=\"<script>parent.alert('XSS21')</script>\"></iframe>",
    "<marquee onstart=alert('XSS22')>x</marquee>",
    "<div onmouseover=alert('XSS23') style=position:fixed;inset:0>x</div>",
    '" onmouseover="alert(\'XSS24\')" x="',
    "' onfocus='alert(`XSS25`)' autofocus='",
    "\" autofocus onfocus=alert('XSS26') \"",
    # javascript: and data: links.
    "<a href=\"javascript:alert('XSS27')\">click</a>",
    "javascript:alert('XSS28')",
    "JaVaScRiPt:alert('XSS29')",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTMzAnKTwvc2NyaXB0Pg==">XSS30</a>',
    "<form action=\"javascript:alert('XSS31')\"><button>go</button></form>",
    "<object data=\"javascript:alert('XSS32')\"></object>",
    '<embed src="/xss/XSS33.swf">',
    "<link rel=stylesheet href=/xss/XSS34.css>",
    '<meta http-equiv=refresh content="0;url=/xss/XSS35">',
    '<base href="/xss/XSS36/">',
    # Entity and encoding tricks.
    "&lt;script&gt;alert('XSS37')&lt;/script&gt;",
    "&#60;script&#62;alert('XSS38')&#60;/script&#62;",
    "<a href=\"&#106;avascript:alert('XSS39')\">x</a>",
    "<a href=\"jav&#x09;ascript:alert('XSS40')\">x</a>",
    "\\u003cscript\\u003ealert('XSS41')\\u003c/script\\u003e",
    "%3Cscript%3Ealert('XSS42')%3C/script%3E",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;('XSS43')>",
    "<!--<img src=x onerror=alert('XSS44')>-->",
    "<style>@import '/xss/XSS45.css';</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('XSS46')>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('XSS47')>\">",
    # htmx attributes: would fire a request (or run code) if rendered as markup.
    '<div hx-get="/xss/XSS48" hx-trigger="load">x</div>',
    '<div hx-post="/xss/XSS49" hx-trigger="load">x</div>',
    "<div hx-on:htmx:load=\"alert('XSS50')\">x</div>",
    '<img src=x hx-get="/xss/XSS51" hx-trigger="load">',
    '<div data-hx-get="/xss/XSS52" data-hx-trigger="load">x</div>',
    '<div hx-get="/xss/XSS53" hx-trigger="load" hx-target="body" hx-swap="innerHTML">x</div>',
    '<button hx-delete="/xss/XSS54" hx-trigger="load">x</button>',
    '" hx-get="/xss/XSS55" hx-trigger="load" x="',
    '<div hx-on::load="alert(\'XSS56\')" hx-get="/xss/XSS56" hx-trigger="load">x</div>',
    '<div hx-vals=\'js:{a:alert("XSS57")}\' hx-get="/xss/XSS57" hx-trigger="load">x</div>',
    # Template injection: must come out as the same text, never evaluated.
    "{{ request.user.password }} XSS58",
    "{% debug %} XSS59",
    "{{7*7}} ${7*7} #{7*7} <%= 7*7 %> XSS60",
    "{% load static %}{% static 'x' %} XSS61",
    # Odd characters: NUL-free control characters, RTL override, very long words.
    "XSS62 \u202e<script>alert('XSS62')</script>",
    "XSS63 " + "A" * 300,
]

PAYLOADS: list[str] = RAW
# Marks a payload that would have run, or markup that would have been injected.
MARKERS = [f"XSS{n:02d}" for n in range(1, len(RAW) + 1)]


def payload(n: int) -> str:
    """The n-th payload (cycling), for fields filled one payload each."""
    return PAYLOADS[n % len(PAYLOADS)]


def all_payloads(limit: int | None = None) -> str:
    """Every payload in one string, for long text fields (descriptions, comments)."""
    text = "\n".join(PAYLOADS)
    return text[:limit] if limit else text
