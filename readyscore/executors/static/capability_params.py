"""What a capability check's YAML may say: the evidence that proves it, by strength.

- implemented: `mechanisms` (a library's limiter, verifier, validator, redactor ... called,
  decorated, depended on, registered as middleware or used, in a scope of the service graph),
  `hand_written` (a function of the service's own, reached from a route, whose body can change
  the outcome), `guarded_headers` (a request header whose value is tested), `route_models`
  (a constrained model as a route parameter), `reads` (names read on the request path), `derived`
  facts on the request path, `files`/`config` entries marked `implemented`, and `stacks` (Go,
  Node, Rust, Java, C++: an import and a call resolved through it);
- declared: `dependencies`, direct `stacks.*.dependencies` in go.mod, package.json or Cargo.toml,
  `imports` of a library that nothing wires, `files`/`config` entries (the default strength),
  mechanisms found off the serving path;
- mention: `identifiers` (names, keys), `headers` read but not tested, hand-written functions that
  are stubs or that no route reaches.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from readyscore.executors.static.polycaps import StackEvidence

Scope = Literal["request", "service", "anywhere"]
FileStrength = Literal["declared", "implemented"]


class Mechanism(BaseModel):
    model_config = ConfigDict(extra="forbid")

    how: Literal["call", "decorator", "depends", "middleware", "use", "subclass"] = Field(
        description="call: called; decorator: decorates a function in scope; depends: Depends(...) in a function "
                    "in scope or app-wide; middleware: registered as middleware; use: referenced in any way "
                    "(called, read, entered); subclass: a class of the service derives from it")
    names: list[str] = Field(min_length=1, description="qualified names or prefixes (slowapi.Limiter.limit)")
    where: Scope = Field(default="request", description="request: on a route's path; service: there or in "
                                                        "start-up code; anywhere: any code of the service")
    keywords: list[str] = Field(default_factory=list, description="call or decorator: one of these keyword "
                                                                  "arguments is passed")
    # What a site of the mechanism without any of the keywords shows. nothing: without them the
    # call is not the control (`Query()` constrains nothing); declared: the control is applied with
    # defaults that fall short (a bare tenacity `@retry` retries at once, forever).
    missing_keywords: Literal["nothing", "declared"] = "nothing"
    what: str | None = Field(default=None, description="how evidence reads ('rate limit on the route')")


class HandWritten(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["guard", "transform", "record"] = Field(
        description="guard: raises, answers an error status or returns a verdict it computed; transform: returns something "
                    "other than its argument or a constant; record: calls or writes something")
    names: list[str] = Field(default_factory=list, description="regexes matched (whole, lower case) against the "
                                                               "function's name or module.function")
    statuses: list[int] = Field(default_factory=list, description="or: the function answers one of these statuses "
                                                                  "after a test")
    where: Scope = "request"
    # false: a route handler itself does not count, only what sits on a route's path (an endpoint
    # named /v1/moderations offers moderation to clients; it screens nothing the service generates).
    routes_count: bool = True

    @field_validator("names")
    @classmethod
    def _compile(cls, values: list[str]) -> list[str]:
        for value in values:
            re.compile(value)
        return values

    @model_validator(mode="after")
    def _something(self) -> HandWritten:
        if not self.names and not self.statuses:
            raise ValueError("hand_written needs names or statuses")
        return self


class FileEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    glob: str
    strength: FileStrength = "declared"


class ConfigEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: list[str] = Field(min_length=1, description="globs of config files (nginx, gateway, ingress ...)")
    pattern: str = Field(description="a regex one of their lines must match")
    strength: FileStrength = Field(default="declared", description="implemented when the line applies the control "
                                                                   "(nginx `limit_req zone=`), not only names it")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class CapabilityParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: str = Field(description="the capability, for messages ('rate limiting')")
    mechanisms: list[Mechanism] = Field(default_factory=list)
    hand_written: list[HandWritten] = Field(default_factory=list)
    guarded_headers: list[str] = Field(default_factory=list, description="request headers whose value a function "
                                                                         "on a route's path tests")
    route_models: bool = Field(default=False, description="a model with constraints as a route parameter (or "
                                                          "validated on a route's path)")
    reads: list[str] = Field(default_factory=list, description="attribute names or keys read on a route's path")
    derived: list[Literal["max-tokens-cap"]] = Field(
        default_factory=list, description="facts that need reasoning over the code, on a route's path")
    imports: list[str] = Field(default_factory=list, description="modules whose import, unwired, declares it")
    identifiers: list[str] = Field(default_factory=list,
                                   description="regexes matched (whole, lower case) against names: mentions only")
    headers: list[str] = Field(default_factory=list, description="request headers read: mentions only")
    files: list[FileEvidence] = Field(default_factory=list, description="globs whose presence shows it")
    config: list[ConfigEvidence] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list, description="distributions that declare it")
    # Go, Node, Rust, Java and C++ services (polycaps.StackEvidence): an import with a call through it
    # is implemented; a direct go.mod, package.json or Cargo.toml dependency is declared.
    stacks: dict[Literal["node", "go", "rust", "java", "cpp"], StackEvidence] = Field(default_factory=dict)
    # Persistence: point at module-level dicts when nothing durable is found.
    note_module_dicts: bool = False

    @field_validator("files", mode="before")
    @classmethod
    def _plain_globs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"glob": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("identifiers")
    @classmethod
    def _compile(cls, values: list[str]) -> list[str]:
        for value in values:
            re.compile(value)
        return values
