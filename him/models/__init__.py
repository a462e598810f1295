from .accounts import Facility, FacilityGroupObjectPermission, FacilityUserObjectPermission, User
from .policy import PHIModel, PolicyQuerySet
from .reports import ReportRun
from .trail import AccessEvent

__all__ = [
    "AccessEvent",
    "Facility",
    "FacilityGroupObjectPermission",
    "FacilityUserObjectPermission",
    "PHIModel",
    "PolicyQuerySet",
    "ReportRun",
    "User",
]
