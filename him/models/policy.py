from __future__ import annotations

from django.db import models


class PolicyQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what a user may reach.

    Every PHI model's manager comes from this; views, viewsets, exports, reports
    and tasks call ``visible_to`` rather than filtering by hand.
    """

    def visible_to(self, user, action: str = "view") -> PolicyQuerySet:
        from him import policy

        return policy.restrict(self, user, action)


class PHIModel(models.Model):
    """Base for models holding protected health information.

    ``facility_path`` and ``patient_path`` tell the access policy and the trail
    how a row reaches its facility and its patient ("" when it is the patient).
    """

    facility_path: str = "facility"
    patient_path: str | None = None

    objects = PolicyQuerySet.as_manager()

    class Meta:
        abstract = True
