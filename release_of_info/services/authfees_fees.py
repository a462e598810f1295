"""What a request costs: the estimate before work starts and the invoice at build time.

The patient's right of access (45 CFR 164.524(c)(4)) may be charged only labour
for copying, supplies and postage, or the flat $6.50 for an electronic copy if
the facility chose it; never a search or retrieval fee. Every other requester
pays the facility's schedule for their type (base fee, per page or tiered,
postage). The INVOICE hook makes or refreshes the request's invoice when the
packet is built; a paid or waived invoice is not changed again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from him import trail
from release_of_info.models import FeePolicy, FeeSchedule, Invoice, RequestDocument, ROIRequest

CENT = Decimal("0.01")
FLAT_ACCESS_FEE = Decimal("6.50")  # HHS guidance on 164.524(c)(4)


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Fee:
    pages: int
    lines: list[tuple[str, Decimal]] = field(default_factory=list)
    note: str = ""

    @property
    def total(self) -> Decimal:
        return _money(sum((amount for _, amount in self.lines), Decimal("0")))

    def as_hook(self, status: str = Invoice.Status.UNPAID) -> dict:
        return {"lines": list(self.lines), "total": self.total, "status": str(status)}


def policy_for(facility) -> FeePolicy:
    """The facility's policy, or an unsaved one with the defaults."""
    found = FeePolicy.objects.filter(facility=facility).first()
    if found is not None:
        return found
    return FeePolicy(
        facility=facility,
        access_method=getattr(settings, "ROI_ACCESS_FEE_METHOD", FeePolicy.Method.COST_BASED),
    )


def _is_mailed(request: ROIRequest) -> bool:
    return request.delivery == ROIRequest.Delivery.MAIL or request.format == ROIRequest.Format.PAPER


def access_fee(request: ROIRequest, pages: int) -> Fee:
    """The patient's own copy: flat or cost-based; no search or retrieval fee, ever."""
    policy = policy_for(request.facility)
    electronic = request.format == ROIRequest.Format.ELECTRONIC
    if policy.access_method == FeePolicy.Method.FLAT and electronic:
        return Fee(
            pages,
            [("Flat fee, electronic copy (45 CFR 164.524(c)(4))", _money(policy.flat_fee))],
            "Right of access: flat fee; no search or retrieval fee.",
        )
    lines: list[tuple[str, Decimal]] = []
    if pages:
        lines.append(
            (
                f"Labour for copying, {pages} page(s) × ${policy.labor_per_page}",
                _money(policy.labor_per_page * pages),
            )
        )
    if not electronic and pages:
        lines.append(
            (
                f"Paper and toner, {pages} page(s) × ${policy.paper_per_page}",
                _money(policy.paper_per_page * pages),
            )
        )
    if electronic and _is_mailed(request):
        lines.append(("Portable media (CD/USB)", _money(policy.media_fee)))
    if _is_mailed(request):
        lines.append(("Postage", _money(policy.postage)))
    return Fee(pages, lines, "Right of access: cost-based; no search or retrieval fee.")


def _page_charge(schedule: FeeSchedule, pages: int) -> list[tuple[str, Decimal]]:
    if not schedule.tiers:
        if not pages or not schedule.per_page:
            return []
        return [(f"{pages} page(s) × ${schedule.per_page}", _money(schedule.per_page * pages))]
    lines, done = [], 0
    for tier in schedule.tiers:
        if done >= pages:
            break
        up_to = tier.get("up_to")
        rate = Decimal(str(tier.get("per_page", "0")))
        count = pages - done if up_to in (None, "") else max(0, min(pages, int(up_to)) - done)
        if count:
            first, last = done + 1, done + count
            lines.append((f"Pages {first}–{last} × ${rate}", _money(rate * count)))
            done += count
    if done < pages:  # tiers that stop short: the last rate goes on
        rate = Decimal(str(schedule.tiers[-1].get("per_page", "0")))
        lines.append((f"Pages {done + 1}–{pages} × ${rate}", _money(rate * (pages - done))))
    return lines


def schedule_fee(request: ROIRequest, pages: int) -> Fee:
    schedule = FeeSchedule.objects.filter(
        facility_id=request.facility_id, requester_type=request.requester.type, active=True
    ).first()
    if schedule is None:
        return Fee(
            pages,
            [],
            f"No fee schedule for {request.requester.get_type_display().lower()} requests "
            "at this facility: no charge.",
        )
    lines = []
    if schedule.base_fee:
        lines.append(("Base fee (search, retrieval, handling)", _money(schedule.base_fee)))
    lines += _page_charge(schedule, pages)
    if _is_mailed(request) and schedule.postage:
        lines.append(("Postage", _money(schedule.postage)))
    return Fee(pages, lines, f"Fee schedule: {schedule.get_requester_type_display()}.")


def fee_for(request: ROIRequest, pages: int) -> Fee:
    if request.is_right_of_access:
        return access_fee(request, pages)
    return schedule_fee(request, pages)


def pages_asked(request: ROIRequest) -> int:
    """Pages that would go out: the chosen documents (or, when none are chosen yet, the
    documents in scope). Once the request may be honoured, documents the authorization
    does not cover are left out, as the packet will leave them out; before that (no
    valid authorization yet) every page asked counts, so the requester can be quoted."""
    from release_of_info.services.authorization import Coverage, documents_in_scope, verdict

    coverage = Coverage(request) if verdict(request).valid else None

    def counted(document) -> bool:
        return coverage is None or coverage.reason(document) is None

    chosen = list(
        RequestDocument.objects.filter(request=request, included=True).select_related(
            "version", "document"
        )
    )
    if chosen:
        return sum(
            len(c.pages) if c.pages else (c.version.page_count or 1)
            for c in chosen
            if counted(c.document)
        )
    total = 0
    for document in documents_in_scope(request):
        if counted(document):
            version = document.current_version
            total += (version.page_count or 1) if version else 1
    return total


def estimate(request: ROIRequest) -> Fee:
    """The fee before work starts, from the pages asked."""
    return fee_for(request, pages_asked(request))


# Invoices ------------------------------------------------------------------------------


def _next_number() -> str:
    year = timezone.localdate().year
    prefix = f"INV-{year}-"
    last = (
        Invoice.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:06d}"


def _lines_json(lines: list[tuple[str, Decimal]]) -> list[dict]:
    return [{"label": label, "amount": str(amount)} for label, amount in lines]


def invoice_lines(invoice: Invoice) -> list[tuple[str, Decimal]]:
    return [(line["label"], Decimal(line["amount"])) for line in invoice.lines]


def _settled_or_same(invoice: Invoice | None, pages: int, fee: Fee) -> bool:
    """Is there nothing to write: the invoice is settled (paid, waived), or it already
    says what ``fee`` for ``pages`` says?"""
    if invoice is None:
        return False
    if invoice.status != Invoice.Status.UNPAID:
        return True
    return (
        invoice.pages == pages
        and invoice.lines == _lines_json(fee.lines)
        and invoice.total == fee.total
    )


def invoice_for_packet(*, request: ROIRequest, pages: int) -> Invoice:
    """Make the request's invoice, or refresh an unpaid one with the packet's pages.

    A rebuild that leaves the invoice as it was reads it without locking it: a row
    lock is a write, and on PostgreSQL its commit waits for the log to reach the
    disk (the better part of the invoice's cost in a packet build, measured)."""
    fee = fee_for(request, pages)
    current = Invoice.objects.filter(request=request).first()
    if _settled_or_same(current, pages, fee):
        return current
    with transaction.atomic():
        return _invoice_write(request=request, pages=pages, fee=fee)


def _invoice_write(*, request: ROIRequest, pages: int, fee: Fee) -> Invoice:
    invoice = Invoice.objects.select_for_update().filter(request=request).first()
    if _settled_or_same(invoice, pages, fee):
        return invoice  # settled or refreshed by another build meanwhile
    created = invoice is None
    if created:
        invoice = Invoice(request=request)
    invoice.pages = pages
    invoice.lines = _lines_json(fee.lines)
    invoice.total = fee.total
    if created:
        # Two builds at once may pick the same next number: the unique index refuses
        # the second, which takes the one after.
        for attempt in range(5):
            invoice.number = _next_number()
            try:
                with transaction.atomic():
                    invoice.save()
                break
            except IntegrityError:
                invoice.pk = None
                if Invoice.objects.filter(request=request).exists():
                    # Another build made this request's invoice meanwhile: refresh that one.
                    return invoice_for_packet(request=request, pages=pages)
                if attempt == 4:
                    raise
    else:
        invoice.save()
    trail.record(
        trail.Action.CREATE if created else trail.Action.UPDATE,
        obj=invoice,
        reason="invoice made from the packet" if created else "invoice refreshed",
    )
    return invoice


def invoice_hook(request: ROIRequest, pages: int) -> dict:
    """The INVOICE hook: the invoice page's lines, total and status."""
    invoice = invoice_for_packet(request=request, pages=pages)
    return {
        "lines": invoice_lines(invoice),
        "total": invoice.total,
        "status": invoice.status,
        "number": invoice.number,
    }


def _settle(invoice: Invoice, user, status: str, *, reason: str = "", reference: str = ""):
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.UNPAID:
        raise ValidationError(
            f"Invoice {invoice.number} is already {invoice.get_status_display().lower()}."
        )
    invoice.status = status
    invoice.status_by = user
    invoice.status_at = timezone.now()
    invoice.status_reason = reason
    invoice.payment_reference = reference[:100]
    invoice.save()
    trail.record(trail.Action.UPDATE, obj=invoice, reason=f"invoice {status}")
    return invoice


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice, user, reference: str = "") -> Invoice:
    return _settle(invoice, user, Invoice.Status.PAID, reference=(reference or "").strip())


@transaction.atomic
def invoice_waive(*, invoice: Invoice, user, reason: str) -> Invoice:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason the fee is waived.")
    return _settle(invoice, user, Invoice.Status.WAIVED, reason=reason)


def check_tiers(tiers) -> list[dict]:
    """Validate a schedule's tiers: a list of {"up_to": int|None, "per_page": decimal}."""
    if tiers in (None, "", []):
        return []
    if not isinstance(tiers, list):
        raise ValidationError("Tiers are a list of {up_to, per_page}.")
    clean, last = [], 0
    for i, tier in enumerate(tiers, 1):
        if not isinstance(tier, dict) or "per_page" not in tier:
            raise ValidationError(f"Tier {i}: give per_page (and up_to, except the last).")
        try:
            rate = Decimal(str(tier["per_page"]))
        except Exception:
            raise ValidationError(f"Tier {i}: per_page is not an amount.") from None
        if rate < 0:
            raise ValidationError(f"Tier {i}: per_page cannot be negative.")
        up_to = tier.get("up_to")
        if up_to in (None, ""):
            if i != len(tiers):
                raise ValidationError(f"Tier {i}: only the last tier may be open-ended.")
            up_to = None
        else:
            try:
                up_to = int(up_to)
            except (TypeError, ValueError):
                raise ValidationError(f"Tier {i}: up_to is a page count.") from None
            if up_to <= last:
                raise ValidationError(f"Tier {i}: up_to must grow from tier to tier.")
            last = up_to
        clean.append({"up_to": up_to, "per_page": str(_money(rate))})
    return clean


def parse_tiers(text: str) -> list[dict]:
    """Tiers typed as '20:1.00, 50:0.75, *:0.50' (pages up to : rate; * for the rest)."""
    text = (text or "").strip()
    if not text:
        return []
    tiers = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if ":" not in part:
            raise ValidationError(f"“{part}”: write each tier as pages:rate, e.g. 20:1.00.")
        up_to, rate = (p.strip() for p in part.split(":", 1))
        tiers.append({"up_to": None if up_to in ("*", "") else up_to, "per_page": rate})
    return check_tiers(tiers)


def format_tiers(tiers: list[dict]) -> str:
    return ", ".join(
        f"{'*' if t.get('up_to') in (None, '') else t['up_to']}:{t['per_page']}" for t in tiers
    )
