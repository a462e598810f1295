"""Choosing what goes into a packet: documents, pages, order, redactions.

The version chosen is fixed when the document is picked, so what is checked in
quality check is what leaves; a document left out keeps its row with the reason.
The slow piece of a build is made here, while the specialist works: a page is
rasterized with its black boxes when an area on it is marked or unmarked
(``services.pages``).
"""

from __future__ import annotations

import io
import re

import pikepdf
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from him import trail
from records.models import Document
from release_of_info.models import Redaction, RequestDocument, ROIRequest
from release_of_info.services import pages as page_services

S = ROIRequest.Status
EDITABLE = {S.LOGGED, S.VALIDATING, S.PENDING_AUTHORIZATION, S.IN_PROCESS, S.ON_HOLD}
PREVIEW_DPI = 100


def _editable(roi: ROIRequest) -> None:
    if roi.status not in EDITABLE:
        raise ValidationError(
            f"Request {roi.number} is {roi.get_status_display().lower()}: its documents cannot "
            "change now (a packet in quality check is rejected first)."
        )


def candidates(roi: ROIRequest, user):
    """The patient's documents the user may see that match what the request asks."""
    documents = (
        Document.objects.visible_to(user)
        .filter(patient=roi.patient)
        .exclude(status=Document.Status.ENTERED_IN_ERROR)
        .order_by("service_date", "pk")
    )
    if roi.document_types:
        documents = documents.filter(doc_type__in=roi.document_types)
    if roi.date_from:
        documents = documents.filter(service_date__gte=roi.date_from)
    if roi.date_to:
        documents = documents.filter(service_date__lte=roi.date_to)
    encounters = list(roi.encounters.values_list("pk", flat=True))
    if encounters:
        documents = documents.filter(encounter_id__in=encounters)
    return documents


def parse_pages(text: str) -> list[int]:
    """ "1-3, 5" -> [1, 2, 3, 5]; empty -> every page."""
    text = (text or "").strip()
    if not text:
        return []
    pages: list[int] = []
    for part in re.split(r"[,\s]+", text):
        if not part:
            continue
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise ValidationError(f"“{part}” is not a page or a range like 2-5.")
        first, last = int(match[1]), int(match[2] or match[1])
        if first < 1 or last < first or last - first > 5000:
            raise ValidationError(f"“{part}” is not a valid page range.")
        pages.extend(range(first, last + 1))
    return sorted(set(pages))


def page_count(item: RequestDocument) -> int | None:
    if item.version.page_count:
        return item.version.page_count
    try:
        return len(page_services.item_pdf(item).pages)
    except page_services.BuildFailed:
        return None


def _check_pages(item: RequestDocument, pages: list[int]) -> None:
    count = page_count(item)
    if pages and count and max(pages) > count:
        raise ValidationError(f"{item.document} has {count} pages; page {max(pages)} is not in it.")


@transaction.atomic
def document_choose(
    *, roi: ROIRequest, document: Document, user, pages: str = ""
) -> RequestDocument:
    roi = ROIRequest.objects.select_for_update().get(pk=roi.pk)
    _editable(roi)
    if document.patient_id != roi.patient_id:
        raise ValidationError("That document belongs to another patient.")
    if document.current_version_id is None:
        raise ValidationError("That document has no version to release.")
    if RequestDocument.objects.filter(request=roi, document=document).exists():
        raise ValidationError("That document is already in the packet.")
    last = RequestDocument.objects.filter(request=roi).aggregate(m=Max("position"))["m"] or 0
    item = RequestDocument(
        request=roi,
        document=document,
        version=document.current_version,
        pages=parse_pages(pages),
        position=last + 1,
        added_by=user,
    )
    _check_pages(item, item.pages)
    item.save()
    trail.record(trail.Action.CREATE, obj=item, reason="document chosen for release")
    return item


@transaction.atomic
def item_set_pages(*, item: RequestDocument, pages: str, user) -> RequestDocument:
    _editable(item.request)
    chosen = parse_pages(pages)
    _check_pages(item, chosen)
    item.pages = chosen
    item.save(update_fields=["pages"])
    trail.record(trail.Action.UPDATE, obj=item, reason="pages chosen", detail={"pages": pages})
    return item


@transaction.atomic
def item_move(*, item: RequestDocument, up: bool, user) -> None:
    _editable(item.request)
    items = list(RequestDocument.objects.filter(request=item.request).order_by("position", "pk"))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if up else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for position, other in enumerate(items, start=1):
        if other.position != position:
            RequestDocument.objects.filter(pk=other.pk).update(position=position)


@transaction.atomic
def item_exclude(*, item: RequestDocument, reason: str, user) -> RequestDocument:
    _editable(item.request)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the document is left out; quality check reads it.")
    item.included = False
    item.excluded_reason = reason[:300]
    item.save(update_fields=["included", "excluded_reason"])
    trail.record(trail.Action.UPDATE, obj=item, reason=f"left out: {reason}"[:300])
    return item


@transaction.atomic
def item_include(*, item: RequestDocument, user) -> RequestDocument:
    _editable(item.request)
    item.included = True
    item.excluded_reason = ""
    item.save(update_fields=["included", "excluded_reason"])
    trail.record(trail.Action.UPDATE, obj=item, reason="taken back into the packet")
    return item


@transaction.atomic
def item_remove(*, item: RequestDocument, user) -> None:
    _editable(item.request)
    trail.record(trail.Action.DELETE, obj=item, reason="document removed from the packet")
    item.delete()


def page_png(*, item: RequestDocument, page: int) -> bytes:
    import pypdfium2

    try:
        source = page_services.item_pdf(item)
    except page_services.BuildFailed as exc:
        raise ValidationError(str(exc)) from None
    if not 1 <= page <= len(source.pages):
        raise ValidationError(f"{item.document} has no page {page}.")
    single = pikepdf.new()
    single.pages.append(source.pages[page - 1])
    buffer = io.BytesIO()
    single.save(buffer)
    document = pypdfium2.PdfDocument(buffer.getvalue())
    try:
        image = document[0].render(scale=PREVIEW_DPI / 72).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@transaction.atomic
def redaction_add(
    *, item: RequestDocument, user, page: int, x0: float, y0: float, x1: float, y1: float, reason=""
) -> Redaction:
    _editable(item.request)
    count = page_count(item)
    if count and not 1 <= page <= count:
        raise ValidationError(f"{item.document} has {count} pages; page {page} is not in it.")
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    if x1 - x0 < 0.002 or y1 - y0 < 0.002:
        raise ValidationError("The marked area is empty: drag across what must be removed.")
    box = Redaction.objects.create(
        item=item,
        page=page,
        x0=x0,
        y0=y0,
        x1=x1,
        y1=y1,
        reason=(reason or "")[:200],
        created_by=user,
    )
    page_services.prepare_redacted_page(item, page)
    trail.record(trail.Action.CREATE, obj=box, reason="area marked for redaction")
    return box


@transaction.atomic
def redaction_remove(*, redaction: Redaction, user) -> None:
    _editable(redaction.item.request)
    trail.record(trail.Action.DELETE, obj=redaction, reason="redaction removed")
    item, page = redaction.item, redaction.page
    redaction.delete()
    page_services.prepare_redacted_page(item, page)
