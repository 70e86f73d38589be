from django.core.management.base import BaseCommand

from handover.demo import seed_demo
from hypercare.demo import DEMO_PASSWORD, DEMO_PEOPLE


class Command(BaseCommand):
    help = "Load the demo programme (people of every role, a calendar, and each app's demo data). Safe to re-run."

    def handle(self, *args, **options):
        programme = seed_demo()
        if programme is None:
            self.stdout.write("The demo programme is already loaded.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo programme {programme.name}."))
        self.stdout.write(
            f"Demo logins (password {DEMO_PASSWORD}): admin, " + ", ".join(p[0] for p in DEMO_PEOPLE)
        )
