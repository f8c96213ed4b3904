"""Fixtures of the static-check tests: real audits (engine, catalog, real bandit) over small trees.

Every test gets its own result cache (READYSCORE_CACHE_DIR under tmp_path), so no test sees
another's cached results unless it means to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from static_helpers import audit_tree, by_id

from readyscore.catalog import Catalog, load_catalog
from readyscore.config import ProjectConfig


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "readyscore-cache"
    monkeypatch.setenv("READYSCORE_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def full_catalog() -> Catalog:
    return load_catalog([])


@pytest.fixture
def static_audit(full_catalog):
    """static_audit(root, ids, **static_settings) -> {check_id: CheckResult}; the report is on .last."""
    def run(root: Path, ids: list[str] | None = None, project: ProjectConfig | None = None, **static: Any):
        run.last = audit_tree(full_catalog, root, ids, project, **static)
        return by_id(run.last)
    return run


@pytest.fixture(scope="module")
def module_audit(full_catalog, tmp_path_factory):
    """For module-scoped fixtures: the same audit, with a cache of its own."""
    def run(root: Path, ids: list[str] | None = None, **static: Any):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("READYSCORE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
            run.last = audit_tree(full_catalog, root, ids, **static)
        return by_id(run.last)
    return run
