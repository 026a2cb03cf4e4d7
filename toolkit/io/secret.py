"""The study secret: the key of the pseudonym permutation, kept beside the data.

Pseudonyms (:func:`toolkit.privacy.pseudonyms`) are a keyed random permutation of the
participant ids. The key is a random secret in ``.raremix-secret`` in the study folder (beside
``study.yml``), created on first use with :mod:`secrets`. It stays with the raw data: it is
never written into a report folder, and belongs in ``.gitignore`` beside the data it protects.
With the same secret, every document made from the study gives the same pseudonyms; without
it, the pseudonyms say nothing about the raw ids or their order.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from toolkit.errors import EnvironmentProblem
from toolkit.model import Study

#: The file holding the study secret, in the study folder.
SECRET_FILE = ".raremix-secret"
_HEADER = "# raremix study secret: the key of the pseudonyms. Keep it with the raw data; never share it.\n"


def secret_path(study: Study) -> Path | None:
    """Where the study's secret lives (beside its study.yml), or None for a study built in
    memory (tests, generated examples) that has no folder."""
    for item in study.inputs:
        if item.role == "manifest":
            return Path(item.path).parent / SECRET_FILE
    return None


def study_key(study: Study) -> bytes:
    """The study's pseudonym key, creating ``.raremix-secret`` on first use.

    A study built in memory has no folder: its key is derived from its id (stable, but not
    secret; such studies are synthetic). A bundled SYNTHETIC example in a read-only folder
    gets the same derived key.

    Raises:
        EnvironmentProblem: the secret cannot be created or read (a real study in a read-only
            folder), or the file is not a raremix secret.
    """
    path = secret_path(study)
    if path is None:
        return _derived(study)
    if not path.exists():
        try:
            _create(path)
        except OSError as error:
            if study.synthetic:
                return _derived(study)
            raise EnvironmentProblem(
                f"cannot create the study secret {path} ({error.strerror or error}): raremix "
                "needs it to assign pseudonyms; make the study folder writable, or copy the "
                "study to a folder you can write to"
            ) from error
    return _read(path)


def _derived(study: Study) -> bytes:
    return hashlib.sha256(f"raremix in-memory study {study.id}".encode()).digest()


def _create(path: Path) -> None:
    text = _HEADER + secrets.token_hex(32) + "\n"
    # O_EXCL: two runs at once never write two different secrets.
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)


def _read(path: Path) -> bytes:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EnvironmentProblem(f"cannot read the study secret {path}: {error}") from error
    values = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if len(values) != 1 or len(values[0]) < 32:
        raise EnvironmentProblem(
            f"{path} is not a raremix study secret (one line of at least 32 characters); "
            "restore it from a backup (the pseudonyms depend on it), or delete it to start "
            "new pseudonyms"
        )
    return values[0].encode("utf-8")
