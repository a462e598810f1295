"""Who is acting, from where, in which request: a ContextVar for the trail.

Middleware fills it for web and API requests; Celery tasks started by a request
carry it across (see ``him.celery``), so their work is attributed to the user
who asked; management commands run as "system" unless they say otherwise.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    user_id: int | None = None
    username: str = ""
    role: str = ""
    ip: str = ""
    user_agent: str = ""
    channel: str = "system"  # web, api, task, system
    otp_verified: bool = False

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> RequestContext:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


_current: ContextVar[RequestContext] = ContextVar("him_request_context", default=RequestContext())


def current() -> RequestContext:
    return _current.get()


def new_request_id() -> str:
    return str(uuid.uuid4())


@contextlib.contextmanager
def use(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_current(ctx: RequestContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)


def bind_user(user, *, otp_verified: bool | None = None) -> RequestContext:
    """Put ``user`` into the current context (after authentication ran)."""
    ctx = current()
    if user is not None and getattr(user, "is_authenticated", False):
        verified = otp_verified
        if verified is None:
            is_verified = getattr(user, "is_verified", None)
            verified = bool(is_verified()) if callable(is_verified) else False
        ctx = replace(
            ctx,
            user_id=user.pk,
            username=user.get_username(),
            role=getattr(user, "role_label", ""),
            otp_verified=verified,
        )
    _current.set(ctx)
    return ctx
