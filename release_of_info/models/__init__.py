from .requests import DEFAULT_DUE_DAYS, MAX_EXTENSION_DAYS, Requester, ROIRequest

__all__ = ["DEFAULT_DUE_DAYS", "MAX_EXTENSION_DAYS", "ROIRequest", "Requester"]
