from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from him.models.policy import PolicyQuerySet


def npi_check_digit(body: str) -> str:
    """The NPI check digit of a 9-digit body: Luhn over it prefixed with 80840 (CMS)."""
    total = 0
    for i, d in enumerate(reversed([int(c) for c in "80840" + body])):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def npi_with_check_digit(body: str) -> str:
    return body + npi_check_digit(body)


def npi_is_valid(npi: str) -> bool:
    if len(npi) != 10 or not npi.isdigit():
        return False
    return npi_check_digit(npi[:9]) == npi[9]


def validate_npi(value: str) -> None:
    if not npi_is_valid(value):
        raise ValidationError(
            "Not a valid NPI: it must be 10 digits with a correct check digit.", code="npi"
        )


class Provider(models.Model):
    """A physician or other clinician who authors, signs and completes charts."""

    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    credentials = models.CharField(max_length=40, blank=True, help_text="e.g. MD, DO, NP")
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    specialty = models.CharField(max_length=100, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provider",
    )
    active = models.BooleanField(default=True)

    # Not PHI (no facility scope), but reached through the same policy: model
    # permissions decide, ``visible_to`` works like on every PHI model.
    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        suffix = f", {self.credentials}" if self.credentials else ""
        return f"{self.family_name}, {self.given_name}{suffix}"

    @classmethod
    def scope_for(cls, queryset, user, action):
        return queryset

    @property
    def public_ref(self) -> str:
        return self.npi
