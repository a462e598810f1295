from django.core.management.base import BaseCommand

from him import demo


class Command(BaseCommand):
    help = "Create the synthetic demo data set and one demo user per role (idempotent)."

    def handle(self, *args, **options):
        created = demo.seed()
        if not created:
            self.stdout.write(
                "Demo data present; demo users already exist (passwords were shown once)."
            )
            return
        self.stdout.write(self.style.WARNING("Demo users (shown once; note them now):"))
        for username, role, password in created:
            self.stdout.write(f"  {username:<12} {password:<20} {role}")
        self.stdout.write(
            "HIM manager, privacy officer and system administrator enrol an authenticator "
            "app (TOTP) at first sign-in."
        )
