from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person (or an integration client) who signs in to HIM."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    @property
    def role_names(self) -> list[str]:
        cached = getattr(self, "_him_role_names", None)
        if cached is None:
            cached = sorted(self.groups.values_list("name", flat=True))
            self._him_role_names = cached
        return cached

    @property
    def role_label(self) -> str:
        return ", ".join(self.role_names)


class Facility(models.Model):
    """A hospital, clinic or other site whose records HIM keeps.

    Users reach a facility's records only through a django-guardian grant of
    ``him.access_facility`` on it (directly or through a group).
    """

    code = models.CharField(max_length=20, unique=True, help_text="Short code, e.g. MAIN")
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "facilities"
        permissions = [("access_facility", "Can access records of this facility")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class FacilityUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Facility, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class FacilityGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Facility, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass
