from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from him import policy, trail
from him.models import User


class Command(BaseCommand):
    help = (
        "Issue (or rotate) the REST API token of an integration user. Privileged roles "
        "(those that need a second factor) cannot hold tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="replace an existing token")

    def handle(self, username, rotate=False, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        if policy.needs_second_factor(user):
            raise CommandError(
                f"{username} holds a role that needs a second factor; API tokens are only "
                "for integration accounts."
            )
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        trail.record(
            trail.Action.PRIVILEGE,
            object_type="him.user",
            object_id=str(user.pk),
            reason="API token issued" if created else "API token shown again",
        )
        self.stdout.write(token.key)
