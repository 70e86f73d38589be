"""What the demo programme's users report: a catalogue of Salesforce go-live issues.

Each issue is something that goes wrong (or puzzles people) after a CRM go-live, across the
processes a Sales & Service Cloud programme touches: order to cash, forecasting, the mobile
app, the integrations, reports, permissions, the migrated data. Several people report the
same issue in their own words, about their own records, so each issue has a few ways of
putting it with slots (`{account}`, `{n}`, …) that the seeder fills in. The triage answers
are the ones a reporter would honestly give for that issue, so severities follow the matrix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypercare.vocabulary import Category, ImpactScope, Workaround

ORG, DEPT, SUBSET, ONE = (
    ImpactScope.ORGANISATION,
    ImpactScope.DEPARTMENT,
    ImpactScope.SUBSET,
    ImpactScope.INDIVIDUAL,
)
NONE, PAINFUL, SIMPLE = Workaround.NONE, Workaround.PAINFUL, Workaround.SIMPLE

# Typical answers (impact scope, workaround, vital process blocked) and the severity the default
# matrix gives them.
OUTAGE = ((ORG, NONE, True), (DEPT, NONE, True))  # Sev1
MAJOR = ((DEPT, NONE, False), (DEPT, PAINFUL, True), (ORG, PAINFUL, False), (SUBSET, NONE, True))  # Sev2
TEAM = (
    (SUBSET, PAINFUL, False),
    (SUBSET, NONE, False),
    (DEPT, SIMPLE, False),
    (DEPT, PAINFUL, False),
)  # Sev3
PERSON = ((ONE, NONE, False), (ONE, PAINFUL, True))  # Sev3
MINOR = ((ONE, SIMPLE, False), (SUBSET, SIMPLE, False), (ONE, PAINFUL, False))  # Sev4

SLOTS = {
    "account": [
        "Northwind",
        "Globex",
        "Initech",
        "Umbrella Health",
        "Contoso Retail",
        "Fabrikam",
        "Tailspin",
        "Litware",
        "Adventure Works UK",
        "Wide World Freight",
        "Coho Winery",
        "Proseware",
        "Alpine Ski House",
        "Fourth Coffee",
        "Trey Research",
        "Lucerne Publishing",
        "Woodgrove Bank",
        "Southridge Video",
        "Humongous Insurance",
        "City Power & Light",
        "Consolidated Messenger",
        "Relecloud",
        "A. Datum",
        "VanArsdel",
        "Blue Yonder Airlines",
        "Margie Travel",
        "Bellows College",
        "Graphic Design Institute",
        "Wingtip",
        "Munson Foods",
    ],
    "region": [
        "North",
        "South West",
        "Midlands",
        "Scotland",
        "Dublin",
        "Munich",
        "Milan",
        "Boston",
        "London",
    ],
    "team": [
        "inside sales",
        "key accounts",
        "field service",
        "credit control",
        "order desk",
        "renewals",
        "customer care",
        "partner sales",
        "collections",
    ],
    "product": [
        "Pro Support 24x7",
        "Fleet Tracker X2",
        "Cloud Backup 5 TB",
        "Onsite Install",
        "Warranty Plus",
        "Starter Bundle",
        "Enterprise Licence",
        "Field Kit 300",
    ],
    "month": ["March", "April", "May", "Q2"],
    "time": ["07:40", "08:15", "08:50", "09:05", "09:30", "10:20", "11:45"],
    "lines": ["58", "64", "71", "85", "96", "120", "140"],
    "percent": ["12", "15", "18", "20", "25", "30"],
    "n": [str(n) for n in range(10_240, 10_990, 7)],
}


@dataclass(frozen=True)
class Issue:
    key: str
    category: str
    process: str
    titles: tuple[str, ...]
    details: tuple[str, ...]
    resolution: str
    answers: tuple[tuple[str, str, bool], ...]
    known_issue: str = ""
    weight: int = 2
    # Incidents that hit many people at once: (day after go-live, hour, tickets logged that hour).
    bursts: tuple[tuple[int, float, int], ...] = ()
    escalate: float = 0.0  # the chance the desk needs Tier 3

    def pattern(self) -> str:
        """A regular expression matching every title this issue can produce."""
        options = ("".join(re.escape(part) if i % 2 == 0 else ".+" for i, part in enumerate(
            re.split(r"\{(\w+)\}", title))) for title in self.titles)  # fmt: skip
        return "^(" + "|".join(options) + ")$"


# fmt: off
ISSUES = [
    # ---- How-to and training gaps: many in the first days, fewer as people learn.
    Issue("convert-lead", Category.HOW_TO, "Lead conversion",
      ("How do I convert the {account} lead into an opportunity?", "Convert button missing on lead for {account}",
       "Where has lead conversion gone? ({account})"),
      ("The Convert button is not where it was in the old CRM. I have a hot lead from {account} and cannot turn it into an opportunity.",),
      "Showed the Convert button in the lead's action menu; shared the 2-minute video from the training hub.",
      MINOR * 3 + TEAM[:1], weight=4),
    Issue("log-call", Category.HOW_TO, "Case management",
      ("Where do I log a call on a case? ({account})", "Logging call notes against case {n}",
       "How do I record a phone call for {account}?"),
      ("I used to add call notes in a separate screen. Where do they go now? Case {n}.",),
      "Use Log a Call in the case's activity panel; quick reference card re-sent to the team.", MINOR, weight=3),
    Issue("clone-quote", Category.HOW_TO, "Quote",
      ("How do I clone a quote with its lines for {account}?", "Copy last month's quote for {account}",
       "Repeat order for {account}: can I copy quote Q-{n}?"),
      ("I need a copy of quote Q-{n} for a repeat order, with all {product} lines.",),
      "Clone with Related (Quote Line Items ticked). Added to the FAQ.", MINOR, weight=3),
    Issue("team-cases", Category.HOW_TO, "Case management",
      ("My team's open cases list view is gone ({team})", "How do I see only the {team} team's open cases?",
       "Cannot find the {team} case queue"),
      ("My old saved search is gone. How do I see only my team's open cases?",),
      "Pinned the 'My Team – Open' list view and showed how to set it as default.", MINOR + TEAM[:1], weight=3),
    Issue("discount-approval", Category.HOW_TO, "Quote approval",
      ("How do I submit a {percent}% discount for approval?", "Discount approval button for {account} quote?",
       "Who approves the {account} discount and how do I ask?"),
      ("Quote Q-{n} for {account} has a {percent}% discount and needs approval. What button do I press?",),
      "Submit for Approval appears once the quote is saved; walked through it on the floor.",
      MINOR + ((SUBSET, PAINFUL, False),), weight=3),
    Issue("forecast-report", Category.HOW_TO, "Forecasting",
      ("Where is the {month} forecast report for {region}?", "Finance wants the {region} forecast by month",
       "Cannot find the forecast roll-up for {region}"),
      ("Finance asked for the {month} forecast by region; I cannot find the report.",),
      "Report is in the 'Sales Ops – Shared' folder; gave access to the folder and bookmarked it.", MINOR, weight=2),
    Issue("merge-contacts", Category.HOW_TO, "Contact",
      ("How do I merge two contacts at {account}?", "Same person twice at {account}: merge?"),
      ("Two contacts for the same person at {account}; how do I merge them?",),
      "Merge from the account's Contacts list (Merge Contacts); shown step by step.", MINOR, weight=2),
    Issue("forecast-category", Category.HOW_TO, "Forecasting",
      ("Opportunity for {account} not counted in my {month} forecast", "Why is {account} missing from my commit?"),
      ("The {account} deal is at Negotiation but my forecast shows nothing for it.",),
      "Forecast category was 'Pipeline'; explained how stage and forecast category relate and set it to Commit.",
      MINOR + TEAM[:1], weight=2),
    Issue("mobile-offline", Category.HOW_TO, "Mobile app",
      ("Can I use the mobile app offline at the {account} site?", "Mobile app: prepare records for a site visit to {account}"),
      ("No signal at the {account} warehouse. Can I see the account and log a visit without network?",),
      "Enabled offline priming for the field team's briefcase; showed how to sync before the visit.", MINOR, weight=1),
    Issue("dashboard-filter", Category.HOW_TO, "Reporting",
      ("How do I filter the pipeline dashboard to {region}?", "Pipeline dashboard shows every region, I only want {region}"),
      ("The sales dashboard shows the whole country. I need {region} only for Monday's review.",),
      "Showed the dashboard's region filter and how to save a filtered view.", MINOR, weight=2),

    # ---- Access and permissions.
    Issue("region-accounts", Category.ACCESS, "Account",
      ("Cannot see {region} accounts since go-live", "{region} accounts invisible to me, colleagues see them",
       "No access to {account} (my region's account)"),
      ("Since go-live I only see my own accounts, not the {region} region's. Colleagues see them.",),
      "Role was missing from the region hierarchy; added and sharing recalculated.", TEAM + PERSON, weight=3,
      escalate=0.2),
    Issue("reset-email", Category.ACCESS, "Login",
      ("Locked out: password reset e-mail never arrives", "No reset e-mail, cannot log in ({region} office)"),
      ("I requested a reset twice and received nothing. I am locked out.",),
      "E-mail address on the user record had a typo; corrected and reset sent.", PERSON[:1], weight=2),
    Issue("contract-privileges", Category.ACCESS, "Contract",
      ("'Insufficient privileges' opening the {account} contract", "Cannot open contracts ({team})"),
      ("Clicking the {account} contract shows 'insufficient privileges'. The whole {team} team has the same.",),
      "Contract object permission missing from the Service Agent permission set; added.", TEAM, weight=2,
      escalate=0.2),
    Issue("approver-missing", Category.ACCESS, "Quote approval",
      ("Quote approvals for {region} go to nobody", "My discount approvals sit with no approver ({region})"),
      ("Approvals submitted by {region} reps are stuck: the approver is blank. Quote Q-{n} has waited two days.",),
      "Manager field was empty on migrated users; filled for the region and the stuck approvals reassigned.",
      MAJOR[:2] + TEAM[:1], weight=1, escalate=0.3),

    # ---- Order to cash.
    Issue("vat-rate", Category.DEFECT, "Quote",
      ("Quote PDF shows 20% VAT for {account} (Ireland)", "Wrong VAT on quote Q-{n}",
       "VAT rate wrong on Irish quote for {account}", "Belgian customer {account} quoted with UK VAT"),
      ("The generated PDF for {account} shows 20% VAT instead of the customer's rate. Quote Q-{n}.",),
      "Tax lookup used the billing country instead of the shipping country; fixed in the quote template.",
      TEAM[:2] + MAJOR[2:3], known_issue="vat", weight=3, escalate=0.6),
    Issue("big-opportunity", Category.DEFECT, "Opportunity",
      ("Cannot save {account} opportunity with {lines} lines", "'Apex CPU time limit exceeded' on the {account} deal",
       "Large opportunity for {account} fails to save"),
      ("Saving fails with 'Apex CPU time limit exceeded' on the {account} opportunity ({product}, many lines).",),
      "A trigger recalculated every line on each save; bulkified and deployed as a hotfix.",
      TEAM[:2] + MAJOR[1:2], known_issue="cpu", weight=3, escalate=0.7),
    Issue("record-lock", Category.DEFECT, "Opportunity",
      ("UNABLE_TO_LOCK_ROW when saving opportunities", "Nobody in the {team} team can save opportunities",
       "Opportunities will not save: record lock error ({region})"),
      ("Every save on an opportunity fails with UNABLE_TO_LOCK_ROW since {time}. Quarter-end deals are blocked.",),
      "A scheduled flow locked the parent accounts; paused it as a stopgap, permanent fix in an emergency hotfix.",
      OUTAGE, weight=0, bursts=((1, 10.5, 2), (8, 14.2, 2)), escalate=1.0),
    Issue("credit-check", Category.DEFECT, "Order",
      ("Credit check stuck on 'Pending' for {account}", "Order for {account} blocked by credit check"),
      ("The order for {account} has said 'Credit check pending' since yesterday; finance cleared them already.",),
      "The credit-limit callout timed out and never retried; added the retry and re-ran the pending checks.",
      TEAM[:2] + MAJOR[:1], weight=2, escalate=0.5),
    Issue("price-book", Category.CONFIGURATION, "Pricing",
      ("{product} has no price in the {region} price book", "Cannot add {product} to the {account} quote"),
      ("{product} is missing from the {region} price book, so I cannot quote it to {account}.",),
      "Price book entries for the product were not migrated for that region; added.", TEAM, weight=2),
    Issue("invoice-sync", Category.INTEGRATION, "Invoice sync",
      ("Paid invoices still open for {account}", "Invoice {n} paid in the ERP, open in Salesforce"),
      ("Invoice {n} from {account} was paid in the ERP last week but still shows as open here.",),
      "Status mapping missing for 'Paid (partial)'; added to the integration mapping and re-synced.",
      TEAM + MAJOR[:1], weight=2, escalate=0.6),
    Issue("sap-orders", Category.INTEGRATION, "Order sync",
      ("Orders not reaching SAP since {time}", "Order for {account} missing in SAP", "SAP has none of today's {region} orders",
       "Order sync to SAP down?"),
      ("Orders booked today are not in SAP. Yesterday's are there. {account}'s order is one of them.",),
      "The middleware credential expired; renewed, alerting added and the queue replayed.",
      OUTAGE + MAJOR[:1], known_issue="sap", weight=1, bursts=((2, 9.2, 3), (13, 8.7, 2)), escalate=0.9),

    # ---- Forecasting and reports.
    Issue("forecast-double", Category.DEFECT, "Forecasting",
      ("{region} forecast counts split deals twice", "Forecast total for {region} too high by the split deals"),
      ("Opportunities with revenue splits appear twice in the {region} forecast roll-up for {month}.",),
      "Forecast type used the split amount and the full amount; removed the duplicate forecast type.",
      TEAM[:1] + MAJOR[2:3], weight=2, escalate=0.6),
    Issue("report-timeout", Category.PERFORMANCE, "Reporting",
      ("Pipeline report times out for {region}", "'Report took too long' on the {month} pipeline"),
      ("The {month} pipeline report for {region} fails with 'this report took too long to run'.",),
      "Report filtered on a formula field; rebuilt on an indexed field with a date filter.", TEAM, weight=2,
      escalate=0.4),
    Issue("case-list-slow", Category.PERFORMANCE, "Case management",
      ("Case list takes a minute to load ({team})", "The {team} case queue is very slow in the morning"),
      ("The {team} case list view takes 30–60 seconds between 08:30 and 10:00.",),
      "List view filtered on a non-indexed formula field; replaced with an indexed field.",
      TEAM[:2] + MAJOR[2:3], known_issue="slow-cases", weight=2, escalate=0.6),
    Issue("dashboard-stale", Category.DEFECT, "Reporting",
      ("Service dashboard stuck on last week's figures ({region})", "Team dashboard shows last week's numbers ({team})"),
      ("The {team} dashboard still shows last week's figures; the refresh schedule seems to have stopped.",),
      "The dashboard's running user was deactivated at go-live; changed to a service user and rescheduled.",
      MINOR[1:2] + TEAM[2:3], weight=1),

    # ---- Mobile.
    Issue("mobile-region", Category.DEFECT, "Mobile app",
      ("Region field missing on the account page in the mobile app", "Mobile: Region missing on the {account} account",
       "Phone layout hides Region on {account}"),
      ("On my phone the account page for {account} has no Region field; on the laptop it is there.",),
      "The mobile page layout left the field out; added it to the compact layout.", TEAM[:1] + MINOR[1:2],
      weight=2, escalate=0.5),
    Issue("mobile-blank", Category.DEFECT, "Mobile app",
      ("Blank screen opening {account} on the mobile app", "Mobile app crashes on account {account}"),
      ("Opening {account} in the mobile app shows a blank page since go-live. Field visits rely on it.",),
      "A custom component was not enabled for mobile; replaced with the standard one.", TEAM[:2],
      weight=2, escalate=0.6),

    # ---- Service.
    Issue("escalation-queue", Category.DEFECT, "Case escalation",
      ("Priority case {n} escalated to the wrong queue", "Italian priority cases land in the UK queue"),
      ("Priority cases from Italy, like case {n} for {account}, are escalated to the UK queue.",),
      "Escalation rule ordering was wrong; rule for Italy moved above the default rule.", TEAM + MAJOR[3:4],
      weight=2, escalate=0.4),
    Issue("nordics-assignment", Category.CONFIGURATION, "Case assignment",
      ("New Nordic cases go to the general queue", "Case {n} from Sweden not assigned to the Nordics team"),
      ("Cases created by Swedish and Danish customers land in the general queue instead of Nordics. Case {n}.",),
      "The assignment rule checked the country label, not its ISO code; corrected in a hotfix.", TEAM,
      weight=1, escalate=0.6),
    Issue("email-to-case", Category.INTEGRATION, "Email-to-case",
      ("Customer replies create new cases instead of updating case {n}", "Duplicate cases from {account}'s e-mail replies"),
      ("When {account} replies to our e-mail, a new case is created instead of the reply landing on case {n}.",),
      "The thread token was stripped by the mail gateway; switched to header-based threading.",
      TEAM[:2] + MAJOR[:1], weight=2, escalate=0.5),
    Issue("close-without-product", Category.CONFIGURATION, "Case management",
      ("Cannot close case {n}: product required", "General enquiries cannot be closed without a product"),
      ("General enquiries have no product, but case {n} cannot be closed without one.",),
      "Validation rule now excludes the General Enquiry record type.", TEAM, weight=2),
    Issue("entitlement", Category.DEFECT, "Case management",
      ("Entitlement milestone wrong on {account}'s {product} case", "SLA timer on case {n} uses the wrong contract"),
      ("Case {n} for {account} shows the 8x5 milestone although they bought {product}.",),
      "Entitlement process looked up the first contract; now picks the active one for the asset.", TEAM,
      weight=1, escalate=0.5),

    # ---- Sales and marketing.
    Issue("lead-routing", Category.CONFIGURATION, "Lead routing",
      ("Web leads from {region} routed to the wrong team", "No web leads reached the {team} team today"),
      ("Web leads from {region} are assigned to the default queue; the {team} team has received none since go-live.",),
      "Lead assignment rule order fixed; the stranded leads reassigned.", TEAM[:2] + MAJOR[:1], weight=2),
    Issue("campaign-sync", Category.INTEGRATION, "Marketing sync",
      ("Campaign members from the {month} webinar not synced", "Marketing list for {region} empty in Salesforce"),
      ("Attendees of the {month} webinar are in the marketing platform but not on the campaign here.",),
      "Sync user lacked Campaign Member create rights; granted and the sync re-run.", TEAM, weight=1,
      escalate=0.4),
    Issue("outlook-sync", Category.INTEGRATION, "Email and calendar",
      ("Meetings with {account} not syncing from Outlook", "Outlook calendar sync stopped for me"),
      ("My meeting with {account} on Tuesday is in Outlook but not on the account's activity timeline.",),
      "User was not in the sync configuration; added and the mailbox re-scanned.", PERSON[:1] + MINOR[:1],
      weight=2),
    Issue("esign", Category.INTEGRATION, "Contract",
      ("E-signature envelope for {account} never sent", "'Send for signature' does nothing on contract {n}"),
      ("Contract {n} for {account}: Send for Signature spins and nothing reaches the customer.",),
      "The e-signature connector's OAuth grant had expired; re-authorised and pending envelopes re-sent.",
      TEAM[:2] + MAJOR[:1], weight=1, escalate=0.5),
    Issue("picklist", Category.CONFIGURATION, "Opportunity",
      ("'Framework agreement' missing from contract type", "Cannot pick 'Framework agreement' for {account}"),
      ("Contract type picklist lacks 'Framework agreement', which we use daily (e.g. for {account}).",),
      "Value added to the picklist and the record types.", TEAM[2:3] + MINOR[1:2], weight=2),

    # ---- Migrated data.
    Issue("migrated-owner", Category.DATA, "Account",
      ("{account} owned by 'Data Migration'", "{region} accounts owned by the migration user",
       "Wrong owner on migrated account {account}"),
      ("{account} and about 200 other {region} accounts are owned by the migration user, so the region cannot see them.",),
      "Owner mapping file fixed and accounts reassigned with a data load.", TEAM + PERSON[:1],
      known_issue="owner", weight=3, escalate=0.6),
    Issue("duplicate-contacts", Category.DATA, "Contact",
      ("Duplicate contacts at {account} after migration", "Every contact at {account} appears twice"),
      ("Many contacts at {account} exist twice since go-live, one with the old CRM id.",),
      "Duplicate rule run with a merge job for the migrated batch.", TEAM[2:3] + MINOR[1:2], weight=2,
      escalate=0.3),
    Issue("open-orders-missing", Category.DATA, "Order",
      ("Open orders for {account} not migrated", "{account}'s open orders missing since cutover"),
      ("Orders that were open at cutover for {account} are not in Salesforce; the customer is asking about delivery.",),
      "Orders in 'Partially shipped' were excluded from the migration; loaded the missing ones.",
      TEAM[:2] + MAJOR[:1], weight=1, escalate=0.6),

    # ---- Enhancement requests.
    Issue("po-number", Category.ENHANCEMENT, "Quote",
      ("Add the customer's PO number to quotes", "PO number field on the {account} quote PDF?"),
      ("{account} insists on their PO number on the quote PDF; could we add a field?",),
      "Logged to the backlog for the first post-hypercare release.", MINOR, weight=2),
    Issue("cases-by-product", Category.ENHANCEMENT, "Reporting",
      ("New report: cases by product and region", "Weekly {product} cases report for {region}"),
      ("Service managers would like a weekly report of cases by product and region, {product} first.",),
      "Report built by BAU and shared with the service managers.", MINOR, weight=2),
    Issue("quote-logo", Category.DEFECT, "Quote",
      ("Quote PDF still shows the old logo", "Old company logo on quote Q-{n}"),
      ("Quote Q-{n} for {account} went out with the old logo. Marketing is not happy.",),
      "The template referenced the old static resource; updated in the next patch.", MINOR[1:2] + TEAM[2:3],
      weight=1),
]
# fmt: on

KNOWN_ISSUES = {
    # key: (title, symptoms, workaround)
    "vat": (
        "Quote PDFs show the wrong VAT rate for some countries",
        "Irish and Belgian customers' quote PDFs show the UK VAT rate.",
        "Correct the VAT line by hand on the PDF before sending, or send the quote from the ERP.",
    ),
    "cpu": (
        "Opportunities with many products fail to save (CPU time limit)",
        "Saving an opportunity with more than ~50 products fails with 'Apex CPU time limit exceeded'.",
        "Split the products over two opportunities, or add them in batches of 40.",
    ),
    "sap": (
        "Order sync to SAP stalls for a few hours",
        "New orders do not reach SAP; the integration queue backs up.",
        "Nothing to do: orders are replayed automatically once the sync resumes. Urgent orders: call the desk.",
    ),
    "owner": (
        "Migrated accounts owned by the migration user",
        "Some migrated accounts show 'Data Migration' as owner, so the region cannot see them.",
        "Ask the desk to reassign the accounts you need today; a bulk fix is planned.",
    ),
    "slow-cases": (
        "Case list views are slow in the morning peak",
        "List views of open cases take 30–60 seconds between 08:30 and 10:00.",
        "Use the 'Recently viewed' list or search by case number during the peak.",
    ),
}

BY_KEY = {issue.key: issue for issue in ISSUES}
