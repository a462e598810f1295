"""Benchmark: building a 500-page release packet.

Builds its own data in a throwaway database: one patient with 40 PDF documents
of 10 pages each (text on every page) and 100 one-page text documents (rendered
to PDF at build time), 20 redaction boxes each covering a secret word, then in
one run, alternating the order over several rounds:

1. our packet build (``release_of_info.services.packet.assemble``: coverage,
   true redaction, Bates and footer stamps on all 500 pages, cover letter and
   invoice page, save), synchronously. The documents are chosen and the areas
   marked through the picker service, as a specialist does, which typesets each
   text document when it is chosen and rasterizes a page with its black boxes
   when an area is marked (``services.pages``): the build takes those pieces;
2. the baseline: a raw pikepdf concatenation of the same 500 source pages (the
   PDF files read from storage as the build reads them, the text documents given
   already as PDFs) saved to memory with pikepdf's defaults. For comparison (no
   goal), the same join saved the way the packet is saved: the source pages'
   streams copied as they are and nothing compressed by the save
   (``SAVE_OPTIONS`` in ``services.packet``); pikepdf's defaults decode and
   re-encode the reportlab pages' streams and compress every plain one.

3. the cold build: the same with nothing made ahead (the build typesets the
   100 texts and rasterizes the 20 pages itself), for comparison.

Prints the median of each and the ratio of 1 to 2 (goal <= 1.3x), and checks that text extraction of the packet finds none of the redacted
words and finds the words next to them.

    python bench/roi.py                      # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/him_bench_roi python bench/roi.py

The database named by DATABASE_URL is dropped and recreated: never point this at
a real one. Options: --rounds, --pdfs, --pages-per-pdf, --texts, --redactions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--pages-per-pdf", type=int, default=10)
    parser.add_argument("--texts", type=int, default=100)
    parser.add_argument("--redactions", type=int, default=20)
    return parser.parse_args()


def prepare_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        tmp = Path(tempfile.mkdtemp(prefix="him-bench-roi-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
        os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("TRAIL_KEY", "bench-trail-key-not-secret")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-secret-" + "x" * 30)
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="him-bench-roi-media-"))
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "him.settings")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pdf_pages(lines_per_page: list[list[str]]) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    for lines in lines_per_page:
        for i, line in enumerate(lines):
            c.drawString(72, 720 - 16 * i, line)
        c.showPage()
    c.save()
    return buffer.getvalue()


def build_data(args):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from him.models import Facility
    from records.models import Document, Patient
    from records.services.documents import document_create
    from release_of_info.models import Packet, Requester, ROIRequest
    from release_of_info.services import picker

    facility = Facility.objects.create(code="BENCH", name="Bench Hospital")
    patient = Patient.objects.create(
        facility=facility,
        mrn="B000001",
        family_name="Benchmark",
        given_name="Pat",
        birth_date=dt.date(1970, 1, 1),
        sex="F",
    )
    requester = Requester.objects.create(name="Bench Law LLP", type="attorney", city="Oak")
    today = timezone.localdate()
    roi = ROIRequest.objects.create(
        number="ROI-2026-999999",
        facility=facility,
        patient=patient,
        requester=requester,
        received_on=today,
        purpose="legal",
        due_on=today + dt.timedelta(days=30),
        status=ROIRequest.Status.IN_PROCESS,
    )
    # The same pages for the raw baseline: the stored PDF files (read from storage
    # as the build reads them) and the text documents as PDFs (in memory).
    sources: list = []
    items = []
    for d in range(args.pdfs):
        pages = [
            [f"Document {d} page {p + 1}", f"Clinical note line for page {p + 1}"]
            + [f"Assessment and plan text {k} of document {d}" for k in range(25)]
            for p in range(args.pages_per_pdf)
        ]
        data = pdf_pages(pages)
        document = document_create(
            patient=patient,
            doc_type=Document.Type.PROGRESS_NOTE,
            service_date=dt.date(2026, 1, 1) + dt.timedelta(days=d),
            user=None,
            title=f"Scanned record {d}",
            file=SimpleUploadedFile(f"d{d}.pdf", data, content_type="application/pdf"),
        )
        items.append(picker.document_choose(roi=roi, document=document, user=None))
        sources.append(document.current_version.file)
    from release_of_info.services.pages import text_pdf

    for t in range(args.texts):
        text = "\n".join(f"Transcribed line {k} of note {t}" for k in range(30))
        document = document_create(
            patient=patient,
            doc_type=Document.Type.TRANSCRIBED,
            service_date=dt.date(2026, 3, 1),
            user=None,
            title=f"Note {t}",
            text=text,
        )
        sources.append(text_pdf(text, title=f"Transcribed report Note {t}"))
        items.append(picker.document_choose(roi=roi, document=document, user=None))
    # Redactions: the first line of page 1 of the first N PDF documents ("Document d page 1").
    secrets = []
    for n in range(args.redactions):
        item = items[n % args.pdfs]
        page = 1 + n // args.pdfs
        picker.redaction_add(item=item, user=None, page=page, x0=0.0, y0=0.07, x1=1.0, y1=0.105)
        secrets.append(f"Document {n % args.pdfs} page {page}")
    # The authorization rules are not what is measured here (and there is no
    # authorization on file): every chosen document goes in.
    from release_of_info import hooks

    hooks._handlers[hooks.DOCUMENT_COVERAGE] = []
    packet = Packet.objects.create(request=roi, status=Packet.Status.BUILDING, bates_prefix="BENCH")
    return packet, sources, secrets


def _read(source) -> bytes:
    if isinstance(source, bytes):
        return source
    with source.open("rb") as handle:
        return handle.read()


def raw_concatenation(sources: list, **save_options) -> bytes:
    import pikepdf

    out = pikepdf.new()
    opened = [pikepdf.open(io.BytesIO(_read(source))) for source in sources]
    for pdf in opened:
        out.pages.extend(pdf.pages)
    buffer = io.BytesIO()
    out.save(buffer, **save_options)
    return buffer.getvalue()


def ours(packet) -> bytes:
    from release_of_info.services.packet import assemble

    data, _ = assemble(packet)
    return data


def ours_cold(packet) -> bytes:
    """The build with nothing made ahead: every text typeset, every redacted page
    rasterized during the build (the prepared pieces dropped, then restored)."""
    from django.db import transaction

    from release_of_info.models import PreparedPDF

    with transaction.atomic():
        PreparedPDF.objects.all().delete()
        data = ours(packet)
        transaction.set_rollback(True)
    return data


def main() -> None:
    args = parse_args()
    prepare_database()
    import pypdfium2
    from django.db import connection

    print(f"database: {connection.vendor}; load average at start: {os.getloadavg()}")
    t0 = time.perf_counter()
    packet, sources, secrets = build_data(args)
    print(f"data: {len(sources)} source documents built in {time.perf_counter() - t0:.1f} s")
    ours(packet)  # warm up: fonts, renderer
    raw_concatenation(sources)
    from release_of_info.services.packet import SAVE_OPTIONS

    arms = {
        "ours": lambda: ours(packet),
        "raw": lambda: raw_concatenation(sources),
        # For comparison: the raw join saved the way the packet is (streams copied as
        # they are, nothing compressed by the save), which pikepdf's defaults do not do.
        "raw_as_packet": lambda: raw_concatenation(sources, **SAVE_OPTIONS),
        "cold": lambda: ours_cold(packet),
    }
    times = {arm: [] for arm in arms}
    results = {}
    for round_ in range(args.rounds):
        order = list(arms) if round_ % 2 == 0 else list(reversed(arms))
        for arm in order:
            start = time.perf_counter()
            results[arm] = arms[arm]()
            times[arm].append(time.perf_counter() - start)
    ours_s, raw_s = statistics.median(times["ours"]), statistics.median(times["raw"])
    cold_s = statistics.median(times["cold"])
    data = results["ours"]
    # The cold build typesets the texts together, so its bytes differ; its pages must not.
    if len(pypdfium2.PdfDocument(results["cold"])) != len(pypdfium2.PdfDocument(data)):
        raise SystemExit("the cold build has a different number of pages: FAILED")
    doc = pypdfium2.PdfDocument(data)
    pages = len(doc)
    text = " ".join(" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(pages))
    doc.close()
    leaked = [s for s in secrets if s + " " in text or text.endswith(s)]
    kept = "Clinical note line for page 1" in text and "Transcribed line 3 of note 7" in text
    print(f"\n== packet of {pages} pages ({pages - 2} released pages + cover + invoice) ==")
    print(f"ours (median of {args.rounds}): {ours_s:.3f} s")
    print(f"raw pikepdf concatenation:     {raw_s:.3f} s")
    print(f"ratio ours/raw: {ours_s / raw_s:.2f}x (goal <= 1.3x)")
    same_s = statistics.median(times["raw_as_packet"])
    print(
        f"raw join saved as the packet is (no re-encoding): {same_s:.3f} s; "
        f"ours/that: {ours_s / same_s:.2f}x (for comparison, no goal)"
    )
    print(
        f"cold build (nothing prepared ahead): {cold_s:.3f} s, {cold_s / raw_s:.2f}x raw "
        "(what a build costs when the text and redacted pages were not made while marking)"
    )
    print(
        f"redacted words found by text extraction: {len(leaked)} of {len(secrets)} "
        f"(must be 0); neighbouring text kept: {kept}"
    )
    print(f"load average at end: {os.getloadavg()}")
    if leaked or not kept:
        raise SystemExit("redaction check FAILED")


if __name__ == "__main__":
    main()
