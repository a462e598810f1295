from django.core.management.base import BaseCommand, CommandError

from him import trail


class Command(BaseCommand):
    help = (
        "Verify the access trail's HMAC chain and name the first row that was altered, "
        "deleted or reordered. Exits non-zero when the chain is broken."
    )

    def handle(self, *args, **options):
        result = trail.verify()
        if not result.ok:
            raise CommandError(
                f"TRAIL BROKEN ({result.problem}) at seq={result.seq}: {result.message} "
                f"{result.checked} rows before it verified."
            )
        self.stdout.write(self.style.SUCCESS(result.message))
