"""The demo programme `make run` loads: realistic people, a calendar, and (through each app's demo module) data."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model

from hypercare import services
from hypercare.models import Programme
from hypercare.roles import Role, Team

User = get_user_model()
DEMO_PASSWORD = "hypercare-demo"
DEMO_SLUG = "acme-sfdc"

# (username, full name, roles, team, business unit, geography)
DEMO_PEOPLE = [
    ("lead", "Priya Raman", [Role.LEAD], Team.PROJECT, "PMO", "UK"),
    ("lead2", "Tom Becker", [Role.LEAD, Role.ENGINEER], Team.PROJECT, "PMO", "Germany"),
    ("desk", "Aisha Okafor", [Role.DESK], Team.PROJECT, "IT", "UK"),
    ("desk2", "Liam Walsh", [Role.DESK], Team.PROJECT, "IT", "Ireland"),
    ("engineer", "Chen Wei", [Role.ENGINEER], Team.PROJECT, "IT", "UK"),
    ("engineer2", "Marta Nowak", [Role.ENGINEER], Team.PROJECT, "IT", "Poland"),
    ("champion", "Sam Taylor", [Role.CHAMPION], Team.BAU, "Sales", "UK"),
    ("champion2", "Elena Rossi", [Role.CHAMPION], Team.BAU, "Service", "Italy"),
    ("champion3", "Jon Park", [Role.CHAMPION], Team.BAU, "Finance", "US"),
    ("sponsor", "Helen Clarke", [Role.SPONSOR], Team.BAU, "Executive", "UK"),
    ("sponsor2", "Marcus Webb", [Role.SPONSOR], Team.BAU, "Finance", "UK"),
    ("owner", "David Osei", [Role.OPERATIONAL_OWNER], Team.BAU, "IT Operations", "UK"),
    ("bau", "Nadia Haddad", [Role.BAU], Team.BAU, "IT Operations", "UK"),
    ("bau2", "Oscar Lind", [Role.BAU], Team.BAU, "IT Operations", "Sweden"),
    ("change", "Grace Mensah", [Role.CHANGE_MANAGER], Team.PROJECT, "Change", "UK"),
    ("viewer", "Ravi Shah", [Role.VIEWER], Team.BAU, "Finance", "UK"),
    ("viewer2", "Ines Duarte", [Role.VIEWER], Team.PROJECT, "PMO", "Portugal"),
]


def seed_programme(*, today: date) -> tuple[Programme, dict] | None:
    """Create the demo programme and its people (by username); None if it exists already.

    Each app adds its own demo data through `<app>.demo.seed(programme, people, today)`;
    `handover.demo.seed_demo` (the top layer) calls them in order.
    """
    if Programme.objects.filter(slug=DEMO_SLUG).exists():
        return None
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
    go_live = today - timedelta(days=21)
    programme = services.programme_create(
        name="Acme Sales & Service Cloud go-live",
        slug=DEMO_SLUG,
        ticket_prefix="ACME",
        system="Salesforce Sales Cloud + Service Cloud",
        go_live_date=go_live,
        planned_exit_date=go_live + timedelta(days=42),
        first_month_end_close=(go_live.replace(day=28) + timedelta(days=4)).replace(day=1)
        - timedelta(days=1),
        timezone="Europe/London",
        status="active",
        holiday_country="GB-ENG",
        bau_desk_name="Acme IT Service Desk",
        bau_desk_url="https://servicedesk.acme.example",
        bau_desk_email="servicedesk@acme.example",
        by=admin,
    )
    people = {}
    for username, name, roles, team, unit, geography in DEMO_PEOPLE:
        membership = services.member_add(
            programme=programme,
            username=username,
            email=f"{username}@acme.example",
            name=name,
            roles=roles,
            team=team,
            business_unit=unit,
            geography=geography,
            by=admin,
            invite=False,
        )
        membership.user.set_password(DEMO_PASSWORD)
        membership.user.save(update_fields=["password"])
        people[username] = membership
    return programme, people
