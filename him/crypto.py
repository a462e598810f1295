"""Encryption of identifiers at rest (SSN and the like), with Fernet.

The key comes from the environment (FIELD_ENCRYPTION_KEY), never the database:
a copy of the database alone does not reveal the identifiers. Several keys may
be listed (comma-separated), newest first, so keys can be rotated.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])


def encrypt(text: str) -> str:
    if not text:
        return ""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong FIELD_ENCRYPTION_KEY for this value") from exc


def new_key() -> str:
    return Fernet.generate_key().decode()
