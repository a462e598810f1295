from .packets import Packet, Redaction, RequestDocument
from .requests import DEFAULT_DUE_DAYS, MAX_EXTENSION_DAYS, Requester, ROIRequest

__all__ = [
    "DEFAULT_DUE_DAYS",
    "MAX_EXTENSION_DAYS",
    "Packet",
    "ROIRequest",
    "Redaction",
    "RequestDocument",
    "Requester",
]
