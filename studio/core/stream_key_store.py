"""Stream keys for other platforms, kept as secrets.

With a real OS keyring (macOS Keychain, Windows Credential Locker, Secret Service on Linux)
the keys live there, through ``keyring``. Without one (a headless Linux box: ``keyring``'s
fail or null backend) they live in ``stream-keys.json`` in the settings folder, a file only
its owner can read or write (0600). Keys are never logged; the settings file holds only the
destinations, never their keys.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Final, Protocol

import keyring
import keyring.errors

log = logging.getLogger(__name__)

SERVICE: Final = "onair-studio stream keys"
FILE_NAME: Final = "stream-keys.json"


class KeyStore(Protocol):
    where: str  # for a person: where the keys are kept

    def get(self, name: str) -> str: ...

    def set(self, name: str, key: str) -> None: ...

    def delete(self, name: str) -> None: ...


class KeyringStore:
    """Keys in the OS keyring."""

    def __init__(self, backend: keyring.backend.KeyringBackend) -> None:
        self.backend = backend
        self.where = f"the system keyring ({type(backend).__name__})"

    def get(self, name: str) -> str:
        return self.backend.get_password(SERVICE, name) or ""

    def set(self, name: str, key: str) -> None:
        self.backend.set_password(SERVICE, name, key)

    def delete(self, name: str) -> None:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self.backend.delete_password(SERVICE, name)


class FileKeyStore:
    """Keys in a JSON file that only its owner can read (0600), replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"{path} (readable by you only)"

    def get(self, name: str) -> str:
        return self._read().get(name, "")

    def set(self, name: str, key: str) -> None:
        keys = self._read()
        keys[name] = key
        self._write(keys)

    def delete(self, name: str) -> None:
        keys = self._read()
        if keys.pop(name, None) is not None:
            self._write(keys)

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.error(
                "stream keys in %s are unreadable (%s): starting without them",
                self.path,
                type(exc).__name__,
            )
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, keys: dict[str, str]) -> None:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{FILE_NAME}.", dir=folder)  # created 0600
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(keys, file)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(name, 0o600)
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise


def has_real_keyring(backend: keyring.backend.KeyringBackend) -> bool:
    """A backend that actually keeps secrets (not ``keyring``'s fail or null stand-ins)."""
    module = type(backend).__module__
    return backend.priority > 0 and not module.startswith(
        ("keyring.backends.fail", "keyring.backends.null")
    )


def key_store(config_folder: Path) -> KeyStore:
    """The OS keyring when there is a real one, else the private file in ``config_folder``."""
    backend = keyring.get_keyring()
    if has_real_keyring(backend):
        return KeyringStore(backend)
    return FileKeyStore(config_folder / FILE_NAME)
