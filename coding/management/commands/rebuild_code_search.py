"""Rebuild the code search index of code sets (all searchable ones by default)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from coding.models import CodeSet
from coding.services.search import SEARCHABLE, rebuild_index


class Command(BaseCommand):
    help = "Rebuild the code search index (all searchable code sets, or those named)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--system", choices=SEARCHABLE, help="only the versions of this code system"
        )
        parser.add_argument(
            "--set-version", dest="set_version", help="only this version (FY2026...)"
        )

    def handle(self, *args, system=None, set_version=None, **options):
        code_sets = CodeSet.objects.filter(system__in=[system] if system else SEARCHABLE)
        if set_version:
            code_sets = code_sets.filter(version=set_version)
        if not code_sets.exists():
            raise CommandError(
                "No code set matches; load code sets first (manage.py load_codesets)."
            )
        for code_set in code_sets.order_by("system", "effective_from"):
            build = rebuild_index(code_set)
            self.stdout.write(
                f"{code_set}: {build.entries:,} entries, {build.words:,} words "
                f"in {build.seconds:.1f} s"
            )
