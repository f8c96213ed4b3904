"""Malformed profiles, check definitions and project configs: always a ConfigError naming the file,
the line and the field (the CLI's exit 2), never a traceback.

Hypothesis mutates a valid file in one place (a wrong value, an unknown key) and the test predicts
where the error must point from the YAML node tree of the written file, independently of the
loader. Arbitrary bytes and arbitrary YAML documents must also end in a ConfigError, nothing else.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from readyscore.catalog import load_check_file
from readyscore.config import apply_project_settings, load_profile, load_project_config
from readyscore.yamlfile import ConfigError

from robust_helpers import assert_no_traceback, readyscore

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])

VALID_PROFILE = {
    "schema_version": 1,
    "name": "fuzzed",
    "description": "a profile for the fuzzer",
    "area_weights": {"security": 3, "reliability": 2},
    "levels": [
        {"level": 1, "name": "Functional", "min_score": 30,
         "gates": [{"id": "documented", "title": "Documented", "all_of": ["repo-readme"]}]},
        {"level": 2, "name": "Hardened", "min_score": 50, "gates": []},
    ],
    "checks": {"repo-readme": {"weight": 2, "severity": "low"}},
    "live": {"request_timeout_s": 5, "burst": {"requests": 10}},
}

VALID_CHECK = {
    "id": "fuzz-check",
    "title": "A check for the fuzzer",
    "area": "reliability",
    "level": 1,
    "weight": 1,
    "severity": "low",
    "source": "static",
    "kind": "files_present",
    "params": {"what": "README", "patterns": ["README.md"]},
    "rationale": "why",
    "remediation": "how",
}

VALID_PROJECT = {
    "schema_version": 1,
    "profile": "default",
    "fail_under": 50,
    "min_level": 1,
    "exclude": ["vendor/**"],
    "suppressions": [{"check": "repo-readme", "reason": "accepted for now", "owner": "team",
                      "expires": "2030-01-01"}],
    "live": {"request_timeout_s": 5},
}

# Values no numeric, string or enum field accepts in their place.
not_a_number = st.one_of(st.text(alphabet="abcxyz!?", min_size=1), st.lists(st.integers(), min_size=1),
                         st.dictionaries(st.sampled_from("ab"), st.integers(), min_size=1))
not_a_string = st.one_of(st.lists(st.text(max_size=3), min_size=1), st.dictionaries(st.sampled_from("ab"),
                                                                                    st.integers(), min_size=1))
not_an_enum = st.text(alphabet="qwxz", min_size=1)

PROFILE_MUTATIONS = [
    (("schema_version",), st.integers().filter(lambda n: n != 1)),
    (("name",), not_a_string),
    (("area_weights", "security"), not_a_number),
    (("levels", 0, "level"), st.one_of(st.integers(min_value=5), st.integers(max_value=0))),
    (("levels", 1, "min_score"), st.one_of(st.floats(min_value=100.5, max_value=1e9), not_a_number)),
    (("levels", 0, "gates", 0, "id"), st.text(alphabet="ABC !/", min_size=1)),
    (("levels", 0, "gates", 0, "all_of"), st.integers()),
    (("checks", "repo-readme", "weight"), st.one_of(st.floats(max_value=0), st.floats(min_value=101, max_value=1e6))),
    (("checks", "repo-readme", "severity"), not_an_enum),
    (("live", "request_timeout_s"), st.one_of(st.floats(max_value=0), st.floats(min_value=301, max_value=1e6))),
    (("live", "burst", "requests"), st.integers(min_value=2001)),
]
CHECK_MUTATIONS = [
    (("title",), st.one_of(st.text(max_size=2), st.text(min_size=201, max_size=260), not_a_string)),
    (("area",), not_an_enum),
    (("level",), st.integers(min_value=5)),
    (("weight",), st.one_of(st.floats(max_value=0), not_a_number)),
    (("severity",), not_an_enum),
    (("source",), not_an_enum),
    (("params", "patterns"), st.just([])),
    (("params", "min_count"), st.integers(max_value=0)),
    (("references",), st.integers()),
]
PROJECT_MUTATIONS = [
    (("schema_version",), st.integers().filter(lambda n: n != 1)),
    (("fail_under",), st.one_of(st.floats(min_value=100.5, max_value=1e9), not_a_number)),
    (("min_level",), st.integers(min_value=5)),
    (("exclude",), st.integers()),
    (("suppressions", 0, "reason"), st.text(max_size=2)),
    (("suppressions", 0, "expires"), st.text(alphabet="xyz", min_size=1)),
]
MODEL_KEYS = {  # the mappings an unknown key may be slipped into, and the keys they know
    "profile": [(), ("levels", 0), ("levels", 0, "gates", 0), ("checks", "repo-readme"), ("live",),
                ("live", "burst")],
    "check": [(), ("params",)],
    "project": [(), ("suppressions", 0)],
}
unknown_key = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=3, max_size=12).map(lambda k: f"zz_{k}")


def set_at(data, path, value):
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def get_at(data, path):
    for part in path:
        data = data[part]
    return data


def line_of_key(text: str, path) -> int:
    """The 1-based line of the last key of `path`, found in the YAML node tree (not the loader)."""
    node = yaml.compose(text)
    line = 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                raise AssertionError(f"{part} not in the document")
        else:
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


def mutation(base, mutations, kind):
    wrong_value = st.sampled_from(mutations).flatmap(
        lambda pair: st.tuples(st.just(pair[0]), pair[1]))
    extra_key = st.tuples(st.sampled_from(MODEL_KEYS[kind]), unknown_key, st.integers()).map(
        lambda t: ((*t[0], t[1]), t[2]))
    return st.one_of(wrong_value, extra_key).map(lambda pv: _apply(base, *pv))


def _apply(base, path, value):
    data = copy.deepcopy(base)
    set_at(data, path, value)
    return data, path


def write(tmp: Path, name: str, data) -> tuple[Path, str]:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path, text


def assert_points_at(exc: ConfigError, path: Path, text: str, field_path) -> None:
    dotted = ".".join(str(p) for p in field_path)
    assert exc.path == str(path)
    assert exc.field is not None and (exc.field == dotted or exc.field.startswith(dotted + ".")), \
        f"field {exc.field!r}, expected {dotted!r}: {exc}"
    assert exc.line == line_of_key(text, field_path), f"line {exc.line}, expected {line_of_key(text, field_path)}: {exc}"
    assert f"{path}:{exc.line}: field '{exc.field}'" in str(exc)


@SETTINGS
@given(case=mutation(VALID_PROFILE, PROFILE_MUTATIONS, "profile"))
def test_a_malformed_profile_names_file_line_and_field(case, tmp_path_factory):
    data, field_path = case
    path, text = write(tmp_path_factory.mktemp("p"), "profile.yaml", data)
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    assert_points_at(caught.value, path, text, field_path)


@SETTINGS
@given(case=mutation(VALID_CHECK, CHECK_MUTATIONS, "check"))
def test_a_malformed_check_definition_names_file_line_and_field(case, tmp_path_factory):
    data, field_path = case
    path, text = write(tmp_path_factory.mktemp("c"), "fuzz-check.yaml", data)
    with pytest.raises(ConfigError) as caught:
        load_check_file(path)
    assert_points_at(caught.value, path, text, field_path)


@SETTINGS
@given(case=mutation(VALID_PROJECT, PROJECT_MUTATIONS, "project"))
def test_a_malformed_project_config_names_file_line_and_field(case, tmp_path_factory):
    data, field_path = case
    path, text = write(tmp_path_factory.mktemp("r"), "readyscore.yaml", data)
    with pytest.raises(ConfigError) as caught:
        load_project_config(path)
    assert_points_at(caught.value, path, text, field_path)


@SETTINGS
@given(timeout=st.one_of(st.floats(max_value=0), not_a_number), extra=st.booleans())
def test_malformed_family_settings_in_a_project_config_point_into_it(timeout, extra, tmp_path_factory):
    data = copy.deepcopy(VALID_PROJECT)
    field_path = ("live", "zz_unknown") if extra else ("live", "request_timeout_s")
    set_at(data, field_path, timeout)
    path, text = write(tmp_path_factory.mktemp("s"), "readyscore.yaml", data)
    config = load_project_config(path)
    with pytest.raises(ConfigError) as caught:
        apply_project_settings(load_profile("default"), config)
    assert_points_at(caught.value, path, text, field_path)


def a_document():
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=20)


@SETTINGS
@given(content=st.one_of(st.binary(max_size=400), st.text(max_size=400),
                         a_document().map(lambda d: yaml.safe_dump(d))))
def test_any_bytes_at_all_end_in_a_config_error_or_a_valid_load(content, tmp_path_factory):
    folder = tmp_path_factory.mktemp("g")
    for name, load in (("profile.yaml", lambda p: load_profile(str(p))), ("readyscore.yaml", load_project_config),
                       ("garbage.yaml", load_check_file)):
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        try:
            load(path)
        except ConfigError as exc:
            assert exc.path == str(path) and str(exc).startswith(str(path))


# --- through the command line -----------------------------------------------------------------


def cli_in_process(*args: str) -> tuple[int, str]:
    """readyscore's own entry point, in this process (fast enough for property tests)."""
    from readyscore import cli

    stderr = io.StringIO()
    argv = sys.argv
    sys.argv = ["readyscore", *args]
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            try:
                cli.main()
            except SystemExit as exc:
                return int(exc.code or 0), stderr.getvalue()
    finally:
        sys.argv = argv
    return 0, stderr.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutation(VALID_PROFILE, PROFILE_MUTATIONS, "profile"))
def test_the_cli_exits_two_on_a_malformed_profile_with_file_line_and_field(case, tmp_path_factory):
    data, field_path = case
    folder = tmp_path_factory.mktemp("cli")
    path, text = write(folder, "profile.yaml", data)
    (folder / "README.md").write_text("# x\n")
    code, stderr = cli_in_process("audit", str(folder), "--profile", str(path), "-q", "-o", str(folder / "out"))
    assert code == 2, stderr
    dotted = ".".join(str(p) for p in field_path)
    assert f"{path}:{line_of_key(text, field_path)}: field '{dotted}" in stderr, stderr
    assert "Traceback" not in stderr


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


HOSTILE_FILES = {
    "alias bomb": ("schema_version: 1\nname: bomb\narea_weights: {security: 1}\nlevels: []\nlive:\n  sample_body:\n"
                   + "".join(f"    {line}\n" for line in _alias_bomb().splitlines()), "alias bomb"),
    "deep nesting": ("schema_version: 1\nname: deep\ndescription: " + "[" * 5000 + "]" * 5000 + "\n", "nests deeper"),
    "binary": (os.urandom(64).replace(b"\n", b"") + b"\x00\xff\xfe", "profile"),
    "latin-1": ("name: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    "a list": ("- 1\n- 2\n", "expected a profile"),
    "empty": ("", "found empty"),
    "tabs": ("name:\n\tvalue\n", "invalid YAML"),
    "duplicate anchors and an undefined alias": ("a: *nowhere\n", "invalid YAML"),
    "extends itself": ("schema_version: 1\nname: loop\nextends: profile.yaml\n", "loop"),
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_the_cli_exits_two_on_a_hostile_profile_file(name, tmp_path):
    content, words = HOSTILE_FILES[name]
    path = tmp_path / "profile.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "README.md").write_text("# x\n")
    code, stderr = cli_in_process("audit", str(tmp_path), "--profile", str(path), "-q", "-o", str(tmp_path / "o"))
    assert code == 2, stderr
    assert str(path) in stderr and words in stderr, stderr
    assert "Traceback" not in stderr


def test_a_real_subprocess_exits_two_without_a_traceback_on_an_alias_bomb_project_config(tmp_path):
    """The same path end to end in a fresh interpreter: the bomb in readyscore.yaml, found by itself."""
    (tmp_path / "README.md").write_text("# x\n")
    (tmp_path / "readyscore.yaml").write_text("schema_version: 1\nlive:\n  sample_body:\n"
                                              + "".join(f"    {line}\n" for line in _alias_bomb().splitlines()))
    run = readyscore("audit", str(tmp_path), "-q", output=tmp_path / "o", timeout=60)
    assert run.code == 2, run.stderr
    assert f"{tmp_path / 'readyscore.yaml'}:" in run.stderr and "alias bomb" in run.stderr
    assert_no_traceback(run)
