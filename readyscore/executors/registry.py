"""Which class implements which check `kind`.

Built-in executors are registered directly with `@register` in the modules and packages directly
under `readyscore/executors/` (imported on first use, not at import of readyscore). Third-party
executors come through the `readyscore.executors` entry-point group, loaded only when needed.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from importlib.metadata import entry_points

from readyscore.executors.base import Executor

ENTRY_POINT_GROUP = "readyscore.executors"
# Modules under readyscore/executors that are infrastructure, not executors.
_NOT_EXECUTOR_MODULES = {"base", "registry"}

_registry: dict[str, type[Executor]] = {}
_origins: dict[str, str] = {}
_builtins_loaded = False
_plugins_loaded = False
_lock = threading.RLock()


class UnknownKind(LookupError):
    pass


def register(cls: type[Executor]) -> type[Executor]:
    """Class decorator for built-in executors."""
    kind = getattr(cls, "kind", None)
    if not kind:
        raise TypeError(f"{cls.__name__} has no `kind`")
    existing = _registry.get(kind)
    if existing is not None and existing is not cls:
        raise TypeError(f"kind {kind!r} is registered twice: {existing.__module__} and {cls.__module__}")
    _registry[kind] = cls
    _origins[kind] = cls.__module__
    return cls


def _load_builtins() -> None:
    global _builtins_loaded
    with _lock:
        if _builtins_loaded:
            return
        import readyscore.executors as package

        for module in pkgutil.iter_modules(package.__path__):
            if module.name not in _NOT_EXECUTOR_MODULES and not module.name.startswith("_"):
                importlib.import_module(f"{package.__name__}.{module.name}")
        _builtins_loaded = True


def _load_plugins() -> None:
    global _plugins_loaded
    with _lock:
        if _plugins_loaded:
            return
        _plugins_loaded = True
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            loaded = entry.load()
            classes = [loaded] if isinstance(loaded, type) else [
                value for value in vars(loaded).values()
                if isinstance(value, type) and issubclass(value, Executor) and getattr(value, "kind", None)
            ]
            for cls in classes:
                if cls.kind not in _registry:
                    _registry[cls.kind] = cls
                    _origins[cls.kind] = f"plugin {entry.name} ({entry.value})"


def get(kind: str) -> type[Executor]:
    _load_builtins()
    if kind not in _registry:
        _load_plugins()
    try:
        return _registry[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def all_kinds(include_plugins: bool = True) -> dict[str, type[Executor]]:
    _load_builtins()
    if include_plugins:
        _load_plugins()
    return dict(sorted(_registry.items()))


def origin(kind: str) -> str:
    return _origins.get(kind, "?")
