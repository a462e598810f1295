"""Demo data of the requests part (registered with him.demo): a few synthetic requesters
and requests at each facility, some near their due date and some overdue. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from him.models import Facility, User
from records.models import Patient
from release_of_info.models import Requester, ROIRequest
from release_of_info.services import requests as services
from release_of_info.services.status import roi_request_set_status

S = ROIRequest.Status
T = Requester.Type

REQUESTERS = [
    ("Ada Alder", T.PATIENT, "", "12 Elm Row", "ada.alder@example.org"),
    ("Brook & Castell LLP", T.ATTORNEY, "Brook & Castell LLP", "400 Court Street", ""),
    ("Acme Health Plan, claims review", T.PAYER, "Acme Health Plan", "PO Box 100", ""),
    ("Dr. Lina Garrow", T.PROVIDER, "Northside Family Practice", "9 Clinic Way", ""),
    ("State Disability Determination", T.GOVERNMENT, "Disability Determination Services", "", ""),
]

# (requester index, days since receipt, purpose, status path, reason)
PLAN = [
    (0, 35, ROIRequest.Purpose.PERSONAL, [], ""),  # overdue
    (1, 26, ROIRequest.Purpose.LEGAL, [S.VALIDATING], ""),  # due within 7 days
    (2, 10, ROIRequest.Purpose.PAYMENT, [S.IN_PROCESS], ""),
    (3, 2, ROIRequest.Purpose.TREATMENT, [], ""),
    (4, 28, ROIRequest.Purpose.DISABILITY, [S.PENDING_AUTHORIZATION], ""),
    (0, 50, ROIRequest.Purpose.PERSONAL, [S.IN_PROCESS, S.QUALITY_CHECK, S.RELEASED], ""),
    (1, 45, ROIRequest.Purpose.LEGAL, [S.DENIED], "The authorization presented had expired."),
]


def seed_requests(
    *, facilities: list[Facility], patients_per_facility: int = 40, rng_seed: int = 7
):
    requesters = []
    for name, kind, organization, address, email in REQUESTERS:
        requester, _ = Requester.objects.get_or_create(
            name=name,
            type=kind,
            defaults={"organization": organization, "address_line": address, "email": email},
        )
        requesters.append(requester)
    specialist = User.objects.filter(username="roi").first()
    today = timezone.localdate()
    for facility in facilities:
        if ROIRequest.objects.filter(facility=facility).exists():
            continue
        patients = list(Patient.objects.filter(facility=facility).order_by("pk")[: len(PLAN)])
        for (who, ago, purpose, path, reason), patient in zip(PLAN, patients, strict=False):
            roi = services.roi_request_create(
                patient=patient,
                requester=requesters[who],
                received_on=today - dt.timedelta(days=ago),
                purpose=purpose,
                user=specialist,
                assigned_to=specialist if specialist and who % 2 == 0 else None,
            )
            for status in path:
                roi = roi_request_set_status(roi=roi, status=status, user=specialist, reason=reason)
