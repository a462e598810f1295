from .packets import Packet, PreparedPDF, Redaction, RequestDocument
from .requests import DEFAULT_DUE_DAYS, MAX_EXTENSION_DAYS, Requester, ROIRequest

__all__ = [
    "DEFAULT_DUE_DAYS",
    "MAX_EXTENSION_DAYS",
    "Packet",
    "PreparedPDF",
    "ROIRequest",
    "Redaction",
    "RequestDocument",
    "Requester",
]

# Each part's own models; its module's __all__ names them.
from . import authfees, release  # noqa: E402
from .authfees import *  # noqa: E402, F403
from .release import *  # noqa: E402, F403

__all__ += [*authfees.__all__, *release.__all__]
