"""Hostile source trees, generated in a temporary folder: what a repository can do to an auditor."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BIG_FILE_BYTES = 50 * 1024 * 1024


def alias_bomb(levels: int = 10) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def build_hostile_tree(root: Path) -> Path:
    """One tree with every trap at once (but the 100,000 files, which have their own test)."""
    root.mkdir(parents=True, exist_ok=True)
    # An ordinary service around the traps, so the checks have something real to read.
    (root / "README.md").write_text("# service\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_app.py").write_text("def test_ok():\n    assert True\n")
    (root / "app.py").write_text("import os\n\nDEBUG = os.environ.get('DEBUG') == '1'\n")

    # Symlinks: loops, a link to itself, a dangling one, links out of the tree.
    (root / "sub").mkdir()
    os.symlink(".", root / "loop")
    os.symlink("..", root / "sub" / "up")
    os.symlink("self", root / "self")
    os.symlink("nowhere", root / "dangling.py")
    os.symlink("/etc", root / "etc")
    os.symlink("/etc/passwd", root / "passwd.py")

    # A 50 MB Python file (real Python: a parser would happily spend minutes on it).
    with open(root / "huge_module.py", "wb") as handle:
        line = b"value = 'x' * 10  # padding\n"
        handle.write(line * (BIG_FILE_BYTES // len(line)))

    # Binary files wearing a .py name.
    (root / "binary.py").write_bytes(bytes(range(256)) * 64)
    (root / "elf.py").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(4096))
    (root / "image.yaml").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)

    # Encodings: Latin-1 with a coding line, UTF-16 with a BOM, bytes that are no encoding at all.
    (root / "latin1.py").write_bytes(b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n")
    (root / "utf16.py").write_bytes("x = 1\n".encode("utf-16"))
    (root / "broken.py").write_bytes(b"x = '\xff\xfe\xc3\x28'\nAPI_KEY = '\xed\xa0\x80'\n")
    (root / "requirements.txt").write_bytes(b"fastapi==0.110.0\n\xff\xfe\n")
    (root / "pyproject.toml").write_bytes(b"[tool.readyscore\nname = \xff\n")

    # Python that breaks parsers: nesting past every recursion limit, a NUL in the middle.
    (root / "deep_parens.py").write_text("x = " + "(" * 100_000 + ")" * 100_000 + "\n")
    (root / "deep_sum.py").write_text("x = " + " + ".join(["1"] * 100_000) + "\n")
    (root / "nul_inside.py").write_bytes(b"x = 1\n" * 4000 + b"\x00\n")

    # YAML that breaks parsers: flow nesting 200,000 deep, block nesting, alias bombs, recursion.
    (root / "k8s").mkdir()
    (root / "k8s" / "deep.yaml").write_text("[" * 200_000 + "]" * 200_000 + "\n")
    (root / "k8s" / "deep-map.yaml").write_text("{a: " * 100_000 + "1" + "}" * 100_000 + "\n")
    (root / "k8s" / "bomb.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n"
                                            + "".join(f"  {line}\n" for line in alias_bomb().splitlines()))
    (root / "k8s" / "recursive.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nspec: &s {template: *s}\n")
    (root / "docker-compose.yml").write_text("services:\n  app: &app\n    image: x\n    environment:\n"
                                             + "".join(f"      {line}\n" for line in alias_bomb().splitlines()))
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: &j {build: *j}\n")
    (root / "Dockerfile").write_text("FROM python:3.12\nRUN " + "a" * 1_000_000 + "\n")

    # Names a report must show as text: markup, control characters, not UTF-8.
    (root / "<img src=x onerror=alert(1)>.py").write_text("print('hi')\n")
    (root / "tab\tand\nnewline.py").write_text("print('hi')\n")
    os.makedirs(os.fsencode(root) + b"/bad\xffname", exist_ok=True)
    with open(os.fsencode(root) + b"/bad\xffname/test_\xfe.py", "w") as handle:
        handle.write("def test_x():\n    assert True\n")
    return root


def build_wide_tree(root: Path, files: int, per_folder: int = 1000) -> Path:
    """`files` small files in folders of `per_folder`, most of them data, one in a hundred Python."""
    for index in range(files):
        folder = root / f"d{index // per_folder:04d}"
        if index % per_folder == 0:
            folder.mkdir(parents=True, exist_ok=True)
        if index % 100 == 0:
            (folder / f"m{index}.py").write_text(f"def f{index}(x):\n    return x + {index}\n")
        else:
            (folder / f"f{index}.txt").write_text("row\n")
    return root


def remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
