"""Writing a run's report file: straight to disk with local storage, else through Django's
storage (S3 and the like)."""

from __future__ import annotations

import os

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages


def save_report_file(name: str, content: bytes) -> str:
    """Store ``content`` under ``name`` (unique per job and fence) and return the name.

    On local storage the file is written with one ``os.open(O_EXCL)`` and ``write``:
    ``FileSystemStorage.save`` would also look for a free name, lock the file and change its
    mode, a sixth of a small job's worker time, none of which a name that is never reused
    needs. Elsewhere Django's storage API does the work.
    """
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        return str(storage.save(name, ContentFile(content)))
    path = storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = storage.file_permissions_mode or 0o666  # 0o666 & ~umask, as Django's default
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:  # never expected (fences only grow); Django picks a free name
        return str(storage.save(name, ContentFile(content)))
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    if storage.file_permissions_mode is not None:
        os.chmod(path, storage.file_permissions_mode)
    return name
