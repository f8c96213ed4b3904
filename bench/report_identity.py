"""Are two report.json files the same audit result? Timings, timestamps and durations left out.

    python bench/report_identity.py BEFORE_JSON AFTER_JSON [--ignore .profile.origin]

BEFORE_JSON and AFTER_JSON are two report.json files. Used to show that a speed change changes no
result: run the same audit before and after (each with an empty READYSCORE_CACHE_DIR) and compare.
Prints the differing paths and exits 1 when any remain.
"""

from __future__ import annotations

import json
import sys
from typing import Any

# Keys whose values are clocks, not results (at any depth).
TIMING_KEYS = {"started_at", "finished_at", "duration_s", "seconds"}


def normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}.{key}: only in {'after' if key not in a else 'before'}")
            else:
                out.extend(differences(a[key], b[key], f"{path}.{key}"))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items before, {len(b)} after"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {json.dumps(a)[:120]} -> {json.dumps(b)[:120]}"]


def main() -> None:
    args = sys.argv[1:]
    ignored = {args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--ignore"}
    paths = [arg for i, arg in enumerate(args) if arg != "--ignore" and (i == 0 or args[i - 1] != "--ignore")]
    if len(paths) != 2:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    before, after = (normalised(json.loads(open(p, encoding="utf-8").read())) for p in paths)
    # --ignore PATH: a difference of the setting, not of the result (the profile's file path when
    # the two runs came from two checkouts).
    found = [d for d in differences(before, after) if d.split(":")[0] not in ignored]
    for line in found[:50]:
        print(line)
    print(f"{len(found)} difference(s) apart from timings")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
