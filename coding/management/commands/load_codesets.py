"""Load the code sets: ICD-10-CM, ICD-10-PCS and MS-DRG from the packages (by
default), or import a file a site owns (HCPCS, CPT, modifiers, NCCI PTP, MUE).

    manage.py load_codesets                      # packaged sets; skipped when already loaded
    manage.py load_codesets --force              # reload them anyway
    manage.py load_codesets --hcpcs HCPC2026_JAN_ANWEB.txt --version 2026 \\
        --effective-from 2026-01-01 --effective-to 2026-12-31
    manage.py load_codesets --ncci-ptp ccipra-v321r0-f1.txt --setting practitioner \\
        --version 2026Q1 --effective-from 2026-01-01 --effective-to 2026-03-31
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coding.services import codesets

_FILE_OPTIONS = {
    "hcpcs": "hcpcs",
    "cpt": "cpt",
    "modifiers": "modifiers",
    "ncci_ptp": "ncci_ptp",
    "mue": "mue",
}
_DEFAULTS = ("icd10cm", "icd10pcs", "msdrg")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = "Load ICD-10-CM, ICD-10-PCS and MS-DRG (idempotent), or import a site's HCPCS/CPT/NCCI file."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names the code-set version here, not Django's version.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            default="",
            help="Comma-separated packaged sets to load: icd10cm, icd10pcs, msdrg (default: all three).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Reload packaged sets even when already loaded."
        )
        parser.add_argument(
            "--hcpcs", metavar="FILE", help="CMS HCPCS Level II file (fixed-width, csv or xlsx)."
        )
        parser.add_argument(
            "--cpt", metavar="FILE", help="AMA CPT data file (tab-delimited or csv)."
        )
        parser.add_argument("--modifiers", metavar="FILE", help="Modifiers: code,descriptor CSV.")
        parser.add_argument("--ncci-ptp", metavar="FILE", help="NCCI procedure-to-procedure file.")
        parser.add_argument("--mue", metavar="FILE", help="NCCI MUE file.")
        parser.add_argument(
            "--setting",
            default="",
            help="For --ncci-ptp: practitioner or hospital; for --mue: practitioner, hospital or dme.",
        )
        parser.add_argument(
            "--version", dest="set_version", default="", help="Version label, e.g. 2026 or 2026Q1."
        )
        parser.add_argument(
            "--effective-from", default="", help="First day the version is in force (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--effective-to", default="", help="Last day it is in force (YYYY-MM-DD); empty: open."
        )

    def handle(self, *args, **options):
        files = {kind: options[opt] for opt, kind in _FILE_OPTIONS.items() if options.get(opt)}
        if files:
            self._imports(files, options)
            return
        wanted = [s.strip() for s in options["only"].split(",") if s.strip()] or list(_DEFAULTS)
        unknown = sorted(set(wanted) - set(_DEFAULTS))
        if unknown:
            raise CommandError(
                f"Unknown set(s) {', '.join(unknown)}; choose from {', '.join(_DEFAULTS)}."
            )
        loaders = {
            "icd10cm": codesets.load_icd10cm,
            "icd10pcs": codesets.load_icd10pcs,
            "msdrg": codesets.load_msdrg,
        }
        for name in wanted:
            started = time.perf_counter()
            before = _loaded_at(name)
            try:
                cs = loaders[name](skip_if_loaded=not options["force"])
            except codesets.CodeSetError as exc:
                raise CommandError(str(exc)) from exc
            seconds = time.perf_counter() - started
            if before is not None and cs.loaded_at == before:
                self.stdout.write(
                    f"{cs}: already loaded ({cs.item_count} items, same source); skipped."
                )
                continue
            codesets.record_load(cs)
            extra = ""
            counts = getattr(cs, "counts", None)
            if counts is not None:
                extra = (
                    f" ({counts.billable} billable, {counts.notes} notes, {counts.references} references, "
                    f"{counts.seventh_rows} 7th-character codes)"
                )
            self.stdout.write(
                self.style.SUCCESS(f"{cs}: {cs.item_count} items in {seconds:.1f} s{extra}.")
            )

    def _imports(self, files: dict[str, str], options) -> None:
        if not options["set_version"]:
            raise CommandError("Give --version for the file (e.g. 2026 or 2026Q1).")
        if not options["effective_from"]:
            raise CommandError(
                "Give --effective-from (YYYY-MM-DD): the first day the version is in force."
            )
        effective_from = _date(options["effective_from"])
        effective_to = _date(options["effective_to"]) if options["effective_to"] else None
        for kind, name in files.items():
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file.")
            if kind in ("ncci_ptp", "mue") and not options["setting"]:
                raise CommandError(f"Give --setting for the {kind.replace('_', ' ').upper()} file.")
            request = codesets.ImportRequest(
                data=path.read_bytes(),
                filename=path.name,
                version=options["set_version"],
                effective_from=effective_from,
                effective_to=effective_to,
            )
            try:
                loaded = codesets.run_import(kind, request, setting=options["setting"])
            except codesets.CodeSetError as exc:
                raise CommandError(f"{path.name}: {exc}") from exc
            for cs in loaded:
                self.stdout.write(
                    self.style.SUCCESS(f"{cs}: {cs.item_count} items from {path.name}.")
                )


def _loaded_at(name: str):
    from coding.models import CodeSet

    row = (
        CodeSet.objects.filter(system=name)
        .order_by("-loaded_at")
        .values_list("loaded_at", flat=True)
    )
    return row.first()
