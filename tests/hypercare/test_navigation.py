"""The programme navigation shows each role the pages it uses, and never a page that refuses it."""

import re

import pytest

from hypercare import services
from hypercare.roles import Role, Team

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="subnav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="(/p/acme/[^"]*)"[^>]*>\s*([^<]+?)\s*(?:<|$)')

CHAMPION = [
    "Overview",
    "Log an issue",
    "My tickets",
    "Known issues",
    "Notifications",
    "What's happening",
    "Bulletins",
]
LEADERSHIP = ["Scorecard", "Exit gate", "Sign-off", "Daily status"]
WORKING = ["Log an issue", "Queues", "Known issues", "Triage board", "SLA policy", "Telemetry", "Hotfixes",
           "Releases", "Production changes", "Daily status", "Exit gate", "Handover pack"]  # fmt: skip


def nav_links(client, persona) -> dict[str, str]:
    client.force_login(persona.user)
    page = client.get("/p/acme/")
    assert page.status_code == 200
    return {label: href for href, label in LINK.findall(NAV.search(page.content.decode()).group(1))}


def test_a_champion_sees_only_the_pages_of_the_shop_floor(client, champion):
    assert sorted(nav_links(client, champion)) == sorted(CHAMPION)


def test_sponsors_and_owners_add_the_scorecard_exit_gate_sign_off_and_daily_status(client, sponsor, owner):
    sponsor_links = nav_links(client, sponsor)
    owner_links = nav_links(client, owner)
    for label in LEADERSHIP + ["Known issues", "Notifications", "What's happening", "All tickets"]:
        assert label in sponsor_links and label in owner_links, label
    # A sponsor logs nothing; the owner reports, and accepts the handover pack and hotfixes' UAT.
    assert "Log an issue" not in sponsor_links and "Log an issue" in owner_links
    assert {"Handover pack", "Hotfixes"} <= set(owner_links) and "Hotfixes" not in sponsor_links
    for working_page in ["Triage board", "Telemetry", "Production changes", "Webhooks", "Members"]:
        assert working_page not in sponsor_links and working_page not in owner_links, working_page


def test_the_support_team_sees_its_working_pages_and_only_leads_the_setup(client, desk, engineer, bau, lead):
    for persona in (desk, engineer, bau):
        links = nav_links(client, persona)
        assert set(WORKING) <= set(links), (persona.user.username, set(WORKING) - set(links))
        assert not {"Webhooks", "Members", "Calendar", "My tickets"} & set(links)
    lead_links = nav_links(client, lead)
    assert set(WORKING) | {"Webhooks", "Members", "Calendar", "Sign-off"} <= set(lead_links)


@pytest.mark.parametrize(
    "roles",
    [
        [Role.CHAMPION],
        [Role.DESK],
        [Role.ENGINEER],
        [Role.LEAD],
        [Role.SPONSOR],
        [Role.OPERATIONAL_OWNER],
        [Role.BAU],
        [Role.CHANGE_MANAGER],
        [Role.VIEWER],
        [Role.ENGINEER, Role.LEAD],
    ],
)
@pytest.mark.parametrize("closed", [False, True], ids=["running", "closed"])
def test_every_link_of_the_navigation_and_the_overview_opens_for_that_role(
    client, make_persona, programme, roles, closed
):
    persona = make_persona(*roles, team=Team.BAU, username="member")
    if closed:
        services.programme_close(programme=programme)  # read-only now: the links still open
    client.force_login(persona.user)
    overview = client.get("/p/acme/").content.decode()
    hrefs = set(LINK.findall(NAV.search(overview).group(1))) | {
        (href, "figure")
        for href in re.findall(r'<a href="(/p/acme/[^"]*)"', overview.split('class="headline"')[1])
    }
    assert len(hrefs) >= 6
    for href, label in hrefs:
        response = client.get(href.replace("&amp;", "&"))
        assert response.status_code == 200, (roles, label, href, response.status_code)


def test_the_overview_sends_a_champion_to_their_own_tickets_not_the_queue(client, champion):
    client.force_login(champion.user)
    figures = client.get("/p/acme/").content.decode().split('class="headline"')[1].split("</nav>")[0]
    assert "/p/acme/tickets/mine/?show=open" in figures
    assert "/p/acme/tickets/?" not in figures and "/p/acme/triage/" not in figures
