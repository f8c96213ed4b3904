"""Shared helpers of the static-check tests (a uniquely named module: several test folders have a conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from readyscore import engine
from readyscore.catalog import Catalog
from readyscore.config import AuditOptions, LevelSpec, Profile, ProjectConfig
from readyscore.model import Area, Source
from readyscore.settings.static import StaticSettings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "static"


def profile(**static: Any) -> Profile:
    """A one-level profile: these tests look at results, not at levels."""
    return Profile(schema_version=1, name="static-test", area_weights={area: 1.0 for area in Area},
                   levels=[LevelSpec(level=1, name="Functional", min_score=0)],
                   static=StaticSettings(**static))


def audit_tree(catalog: Catalog, root: Path, ids: list[str] | None = None, project: ProjectConfig | None = None,
               **static: Any):
    """A real audit of `root` with the given static checks (default: every static-* check)."""
    entries = [e for e in catalog if e.spec.source == Source.STATIC
               and (e.spec.id.startswith("static-") if ids is None else e.spec.id in ids)]
    if not any(e.spec.kind == "bandit_findings" for e in entries):
        static.setdefault("prefetch_bandit", False)  # no bandit check here: do not start bandit
    options = AuditOptions(root=Path(root), sources={Source.STATIC}, check_timeout_s=120, deadline_s=300,
                           show_progress=False)
    return engine.audit(Catalog(entries), profile(**static), project or ProjectConfig(), options)


def by_id(report) -> dict:
    return {r.check_id: r for r in report.results}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def explain(results: dict) -> str:
    return "\n".join(f"{r.check_id}: {r.status.value}: {r.message}" for r in results.values())
