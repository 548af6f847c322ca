"""The SECRET_KEY setting: from the environment, never a placeholder; generated once per
data folder in the embedded mode (no DATABASE_URL), where none is required."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_str

# .env.example's placeholders all start with this: a copied .env must not run with one.
PLACEHOLDER_PREFIX = "change-me"


def _embedded_secret_key(path: Path) -> str:
    """One random key per data folder, kept so sessions survive restarts. The file is
    created with mode 0600 (never readable by others, not even for a moment) and O_EXCL,
    so of two processes starting at once exactly one writes it and both use its key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        key = secrets.token_urlsafe(50)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        return key
    # Someone else created it; it may still be empty for the instant before their write.
    deadline = time.monotonic() + 5
    while not (key := path.read_text().strip()):
        if time.monotonic() > deadline:
            raise ImproperlyConfigured(f"{path} is empty: delete it and start again.")
        time.sleep(0.01)
    return key


def secret_key(*, embedded: bool, data_dir: Path) -> str:
    """SECRET_KEY from the environment; in the embedded mode, one kept in the data folder."""
    key = env_str("SECRET_KEY")
    if key.strip().lower().startswith(PLACEHOLDER_PREFIX):
        raise ImproperlyConfigured(
            "SECRET_KEY is a placeholder from .env.example (it starts with "
            f"{PLACEHOLDER_PREFIX!r}): set it to 50 random characters, e.g. the output of "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    if key:
        return key
    if not embedded:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DATABASE_URL is set (see .env.example)."
        )
    return _embedded_secret_key(data_dir / "secret_key")
