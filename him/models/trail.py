from __future__ import annotations

from django.db import models
from django.db.models import Q

from .policy import PolicyQuerySet


class AccessEvent(models.Model):
    """One touch of PHI or of security state: the access trail.

    Append-only (database triggers refuse UPDATE and DELETE) and chained: each
    row's ``mac`` is HMAC-SHA256, under a key kept outside the database, over
    the row's content and ``prev_mac``, the MAC of the row before it in the
    same lane. User, patient and facility are plain numbers, not foreign keys:
    the trail outlives the rows it names.

    Lanes: writers (processes) append to one of settings.TRAIL_LANES chains,
    chosen by process id, so concurrent workers never queue on one lock.
    ``lane_seq`` is the row's place in its lane's chain; ``seq`` is the global
    insertion order, allocated under the lane's lock, so within a lane it rises
    with ``lane_seq`` and verification also catches a row moved in ``seq``.
    """

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        READ = "read", "Read"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        PRINT = "print", "Print"
        EXPORT = "export", "Export"
        DISCLOSE = "disclose", "Disclosure"
        SEARCH = "search", "Search"
        LOGIN = "login", "Login"
        LOGOUT = "logout", "Logout"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOCKOUT = "lockout", "Lockout"
        DENIED = "denied", "Permission denial"
        BREAK_GLASS = "break_glass", "Break-the-glass"
        PRIVILEGE = "privilege", "Privilege change"
        SECOND_FACTOR = "second_factor", "Second factor"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        DENIED = "denied", "Denied"
        NOT_FOUND = "not_found", "Not found"
        FAILURE = "failure", "Failure"

    seq = models.BigAutoField(primary_key=True)
    lane = models.PositiveSmallIntegerField(default=0)
    lane_seq = models.BigIntegerField()
    at = models.DateTimeField(db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    facility_id = models.BigIntegerField(null=True, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.SUCCESS)
    reason = models.TextField(blank=True)
    detail = models.TextField(blank=True, help_text="Canonical JSON: what was shown or changed")
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, unique=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="him_trail_object_idx")]
        constraints = [
            models.UniqueConstraint(fields=["lane", "lane_seq"], name="him_trail_lane_position")
        ]
        permissions = [("export_accessevent", "Can export the access trail")]

    def __str__(self) -> str:
        return (
            f"#{self.seq} {self.username or '-'} {self.action} {self.object_type}:{self.object_id}"
        )

    @classmethod
    def scope_for(cls, queryset, user, action: str):
        """Events of the user's facilities, and those tied to no facility (sign-ins)."""
        from him.policy import facility_ids

        return queryset.filter(Q(facility_id__isnull=True) | Q(facility_id__in=facility_ids(user)))
