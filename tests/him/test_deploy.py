"""Production settings pass Django's deployment checks, and refuse to start without
their secrets."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        # Nothing from the developer's or CI's environment leaks into the check.
        if name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    }
    env.update(
        {
            "HIM_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "him.settings",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "TRAIL_KEY": secrets.token_urlsafe(48),
            "FIELD_ENCRYPTION_KEY": "x2yVcfqmS4y0sYX3y4vbL9p0o7yVwOQ8bZ6m1Zr4q3E=",
            "ALLOWED_HOSTS": "him.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "BROKER_DIR": str(tmp_path / "broker"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(tmp_path: Path, *args: str, **overrides: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  (our own interpreter and manage.py)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=production_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_weak_secret_key(tmp_path):
    # The check is real: a short SECRET_KEY is a warning, and warnings fail.
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY="short")
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("missing", "overrides"),
    [
        (["SECRET_KEY"], {"SECRET_KEY": None}),
        (["TRAIL_KEY"], {"TRAIL_KEY": None}),
        (["TRAIL_KEY"], {"TRAIL_KEY": ""}),
        (["SECRET_KEY", "TRAIL_KEY"], {"SECRET_KEY": None, "TRAIL_KEY": None}),
        (["FIELD_ENCRYPTION_KEY"], {"FIELD_ENCRYPTION_KEY": None}),
    ],
    ids=["no-secret-key", "no-trail-key", "empty-trail-key", "neither", "no-field-key"],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, missing, overrides):
    result = manage(tmp_path, "check", **overrides)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    for name in missing:
        assert name in last_line
    for name in {"SECRET_KEY", "TRAIL_KEY", "FIELD_ENCRYPTION_KEY"} - set(missing):
        assert name not in last_line.split("Keep TRAIL_KEY")[0]


def test_development_needs_no_configuration(tmp_path):
    result = manage(
        tmp_path,
        "check",
        HIM_ENV=None,
        SECRET_KEY=None,
        TRAIL_KEY=None,
        ALLOWED_HOSTS=None,
    )
    assert result.returncode == 0, result.stderr
