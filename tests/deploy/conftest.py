"""Run single deploy checks, or whole deploy audits, against fixture trees on disk."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.executors import registry
from readyscore.executors.base import AuditContext
from readyscore.model import Result, Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def profile():
    return load_profile("default")


class Runner:
    """One AuditContext per tree (so the inventory is built once), any number of checks on it."""

    def __init__(self, catalog, profile):
        self.catalog = catalog
        self.profile = profile
        self.contexts: dict[Path, AuditContext] = {}

    def context(self, root: Path, project: ProjectConfig | None = None) -> AuditContext:
        if project is not None:
            return AuditContext(profile=self.profile, options=AuditOptions(root=root), project=project)
        if root not in self.contexts:
            self.contexts[root] = AuditContext(profile=self.profile, options=AuditOptions(root=root))
        return self.contexts[root]

    def __call__(self, root: Path | str, check_id: str, project: ProjectConfig | None = None) -> Result:
        root = FIXTURES / root if isinstance(root, str) else root
        entry = self.catalog.get(check_id)
        assert entry is not None, check_id
        executor = registry.get(entry.spec.kind)()
        return executor.run(entry.spec, entry.params, self.context(root, project))


@pytest.fixture(scope="session")
def run(catalog, profile):
    return Runner(catalog, profile)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture
def tree(tmp_path):
    """tree({"Dockerfile": "..."}) -> a fresh folder with those files."""
    counter = iter(range(1000))

    def make(files: dict[str, str]) -> Path:
        return write_tree(tmp_path / f"t{next(counter)}", files)

    return make


DEPLOY_ONLY = {Source.DEPLOY}
