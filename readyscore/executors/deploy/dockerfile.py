"""Dockerfiles as stages of instructions, with ARG and ENV resolved the way `docker build` does.

Parsing is done by dockerfile-parse (maintained by the containerbuildsystem project, used by OSBS):
it handles line continuations, the escape directive, comments, and ARG/ENV scoping per stage
(a global ARG is visible in FROM lines, and inside a stage only once re-declared). It does not know
BuildKit heredocs (`RUN <<EOF`), so we fold the heredoc body back into its instruction here.
Nothing is built or run.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from dockerfile_parse import DockerfileParser

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_HEREDOC = re.compile(r"<<-?[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")
_FROM = re.compile(r"^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)


def substitute(value: str, variables: dict[str, str]) -> tuple[str, bool]:
    """Expand $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt}. Returns (text, fully_resolved)."""
    resolved = True

    def one(match: re.Match[str]) -> str:
        nonlocal resolved
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3) or ""
        value = variables.get(name)
        if operator in (":-", "-"):
            if value is None or (operator == ":-" and value == ""):
                return word
            return value
        if operator in (":+", "+"):
            return word if value else ""
        if value is None or value == "":
            resolved = False
            return match.group(0)
        return value

    return _VAR.sub(one, value), resolved


@dataclass
class Instruction:
    name: str  # upper-case: FROM, RUN, USER ...
    value: str  # the instruction's arguments, continuation lines joined
    line: int  # 1-based
    variables: dict[str, str] = field(default_factory=dict)  # ARG and ENV in scope (ENV wins)

    def resolved(self) -> tuple[str, bool]:
        return substitute(self.value, self.variables)


@dataclass
class Stage:
    index: int
    image: str  # the base image as written
    image_resolved: str  # with ARGs substituted
    resolved: bool
    alias: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, name: str) -> list[Instruction]:
        return [i for i in self.instructions if i.name == name]


@dataclass
class Dockerfile:
    path: str
    stages: list[Stage] = field(default_factory=list)
    problem: str | None = None

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_named(self, name: str) -> Stage | None:
        for stage in self.stages:
            if stage.alias and stage.alias.lower() == name.lower():
                return stage
        if name.isdigit() and int(name) < len(self.stages):
            return self.stages[int(name)]
        return None

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the earlier stages it is built FROM (nearest first): what ends up in its image."""
        chain, seen = [stage], {stage.index}
        parent = self.stage_named(stage.image_resolved)
        while parent is not None and parent.index not in seen and parent.index < chain[-1].index:
            chain.append(parent)
            seen.add(parent.index)
            parent = self.stage_named(parent.image_resolved)
        return chain


def _fold_heredocs(structure: list[dict]) -> list[dict]:
    folded: list[dict] = []
    terminator: str | None = None
    for item in structure:
        if terminator is not None:
            if item["content"].strip() == terminator:
                terminator = None
            else:
                folded[-1]["value"] += "\n" + item["content"].rstrip("\n")
            continue
        folded.append(dict(item))
        if item["instruction"] in ("RUN", "COPY", "ADD"):
            heredoc = _HEREDOC.search(item["value"])
            if heredoc:
                terminator = heredoc.group(1)
    return folded


def parse_dockerfile(path: str, text: str) -> Dockerfile:
    """Never raises: a file dockerfile-parse cannot read comes back with `problem` set."""
    result = Dockerfile(path)
    try:
        parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=True)
        structure = parser.structure
        contexts = parser.context_structure
    except Exception as exc:  # noqa: BLE001 - third-party parser on untrusted input
        result.problem = f"could not parse: {type(exc).__name__}"
        return result
    variables_at = {item["startline"]: {**ctx.args, **ctx.envs} for item, ctx in zip(structure, contexts)}
    global_args: dict[str, str] = {}
    stage: Stage | None = None
    for item in _fold_heredocs(structure):
        name = item["instruction"].upper()
        line = item["startline"] + 1
        variables = variables_at.get(item["startline"], {})
        if name == "COMMENT":
            continue
        if name == "FROM":
            match = _FROM.match(item["value"].strip())
            image = match.group(1) if match else item["value"].strip()
            image_resolved, ok = substitute(image, global_args)
            stage = Stage(len(result.stages), image, image_resolved, ok, match.group(2) if match else None, line)
            result.stages.append(stage)
            continue
        if stage is None:
            if name == "ARG":
                global_args.update(variables)
            continue
        stage.instructions.append(Instruction(name, item["value"], line, dict(variables)))
    if not result.stages:
        result.problem = "no FROM instruction"
    return result
