"""Rows worked by a background task under a lease: claim one, find the lost ones.

A job row (a packet to build, a code-set file to load) has a status, a
``lease_until`` and an ``attempts`` count. The task claims its row with one
conditional UPDATE (queued, or running with its lease passed, and attempts
left), so two deliveries of one message cannot both work it. Beat calls
``requeue_stale`` every minute: a queued row nobody claimed within the grace
period lost its message, a running row whose lease passed lost its worker;
both are enqueued again (a duplicate message is harmless: the claim lets one
through), and a row out of attempts is failed with a reason a person can read.

(The report runs of ``him.report_services`` follow the same pattern with their
own code, which predates this module.)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeasedJob:
    model: type[models.Model]
    queued: str
    running: str
    failed: str
    requested_field: str  # when the row was asked for
    lease: dt.timedelta  # how long a worker may hold it
    grace: dt.timedelta  # how long a queued row may wait for a worker
    max_attempts: int

    def claim(self, pk, **also) -> bool:
        """Take the row for this worker (also setting ``also``); False: not claimable."""
        now = timezone.now()
        return bool(
            self.model._default_manager.filter(
                Q(status=self.queued) | Q(status=self.running, lease_until__lt=now),
                pk=pk,
                attempts__lt=self.max_attempts,
            ).update(
                status=self.running,
                lease_until=now + self.lease,
                attempts=F("attempts") + 1,
                **also,
            )
        )

    def requeue_stale(
        self,
        *,
        enqueue: Callable[[int], None],
        give_up: Callable[[int], dict],
        given_up: Callable[[int], None] = lambda pk: None,
        now: dt.datetime | None = None,
    ) -> list[int]:
        """Enqueue the lost rows again; fail those out of attempts.

        ``give_up(attempts)``: the fields a failed row gets (its error...);
        ``given_up(pk)``: what else to do once it is failed (a trail row, a file
        removed). Returns the ids enqueued again."""
        now = now or timezone.now()
        manager = self.model._default_manager
        waited = {f"{self.requested_field}__lt": now - self.grace}
        stale = Q(status=self.queued, **waited) & (
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        ) | Q(status=self.running, lease_until__lt=now)
        requeued: list[int] = []
        rows = manager.filter(stale).values_list("pk", "status", "lease_until", "attempts")
        for pk, status, lease, attempts in rows:
            # Each change only if nobody claimed the row since it was read.
            unchanged = manager.filter(pk=pk, status=status, lease_until=lease)
            if attempts >= self.max_attempts:
                if unchanged.update(status=self.failed, lease_until=None, **give_up(attempts)):
                    given_up(pk)
                continue
            if unchanged.update(status=self.queued, lease_until=now + self.grace):
                transaction.on_commit(lambda pk=pk: enqueue(pk))
                requeued.append(pk)
        if requeued:
            logger.warning("%s enqueued again after a lost run: %s", self.model.__name__, requeued)
        return requeued
