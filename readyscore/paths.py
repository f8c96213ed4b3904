"""Where the built-in catalog, profiles and frameworks are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _builtin(name: str) -> Path:
    # A wheel ships them inside the package (see pyproject's force-include); a checkout or an
    # editable install has them at the top of the repository.
    installed = _PACKAGE / "_builtin" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def builtin_checks_dir() -> Path:
    return _builtin("checks")


def builtin_profiles_dir() -> Path:
    return _builtin("profiles")


def builtin_frameworks_dir() -> Path:
    return _builtin("frameworks")
