"""Does readyscore's LLM-aware load user cost request rate compared with raw Locust?

Against one fast loopback streaming server (no injected delay, 16 tokens per answer, in its own
process), the same number of users and Locust processes run alternately:

- raw Locust: a FastHttpUser posting the same streamed chat request and reading the body whole,
  with no parsing at all (the cheapest thing Locust can do);
- readyscore: the load check's own Locust user (per-read timing, SSE and JSON parsing of every
  event, one JSON record per request).

Both rates come from Locust's own JSON statistics (requests / time from first to last request);
requests per CPU-second of the Locust processes are printed beside them (steadier on a busy host).
The target: readyscore >= 0.9x raw Locust.

    python bench/load_efficiency.py                         # 8 users, 1 process, 8 s, 3 rounds
    python bench/load_efficiency.py --users 16 --processes 2 --seconds 10 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from readyscore.executors.load.plan import Stage, plan_document
from readyscore.executors.load.runner import run_locust
from readyscore.settings.live import LiveSettings
from readyscore.settings.load import LoadSettings

TOKENS = 16
PROMPT_WORDS = 24
RAW_LOCUSTFILE = f'''
import json
from locust import FastHttpUser, task

BODY = json.dumps({{"messages": [{{"role": "user", "content": "word " * {PROMPT_WORDS}}}],
                   "max_tokens": {TOKENS}, "stream": True, "stream_options": {{"include_usage": True}}}})


class RawChat(FastHttpUser):
    @task
    def chat(self):
        self.client.post("/v1/chat/completions", data=BODY, headers={{"Content-Type": "application/json"}})
'''


def _serve(queue: multiprocessing.Queue) -> None:
    from timed_server import ServerBehaviour, TimedSseServer

    with TimedSseServer(ServerBehaviour(ttft_s=0.0, token_delay_s=0.0, tokens=TOKENS, instant=True)) as server:
        queue.put(server.url)
        threading.Event().wait()


def locust_rate(path: Path) -> tuple[float, int]:
    entries = json.loads(path.read_text())
    requests = sum(e["num_requests"] for e in entries)
    start = min(e["start_time"] for e in entries)
    last = max(e["last_request_timestamp"] for e in entries)
    return requests / (last - start), requests


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(run) -> tuple[float, float]:
    """(requests/s, requests per CPU-second of the load generator and its workers)."""
    before = _children_cpu_s()
    rate, requests = run()
    return rate, requests / max(_children_cpu_s() - before, 1e-9)


def raw_run(url: str, users: int, processes: int, seconds: float, tmp: Path) -> tuple[float, int]:
    locustfile = tmp / "raw_locustfile.py"
    locustfile.write_text(RAW_LOCUSTFILE)
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(users),
               "-r", str(max(users, 10)), "-t", f"{seconds:g}s", "--host", url, "--only-summary",
               "--loglevel", "WARNING", "--json-file", str(tmp / "raw")]
    if processes > 1:
        command += ["--processes", str(processes)]
    subprocess.run(command, capture_output=True, timeout=seconds + 120, check=False)
    return locust_rate(tmp / "raw.json")


def readyscore_run(url: str, users: int, processes: int, seconds: float, tmp: Path) -> tuple[float, int]:
    load = LoadSettings(users=users, spawn_rate=max(users, 10), mix={"prompt_words": [PROMPT_WORDS],
                                                                     "max_tokens": [TOKENS]})
    run_dir = tmp / "ours"
    document = plan_document([Stage("normal", users, seconds, (0.0, 0.0), True)], load, LiveSettings(), str(run_dir))
    run = run_locust(document, url, run_dir, api_key=None, cancel=threading.Event(), limit_s=seconds + 120,
                     processes=processes)
    ok = sum(1 for r in run.records if r.get("ok"))
    if ok < 0.99 * len(run.records):
        raise SystemExit(f"readyscore's run had failures: {len(run.records) - ok} of {len(run.records)}")
    return locust_rate(run_dir / "locust.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.9)
    args = parser.parse_args()

    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    url = queue.get(timeout=30)
    print(f"fast loopback server {url} ({TOKENS} streamed tokens, no delay); {args.users} users, "
          f"{args.processes} Locust process(es), {args.seconds:g} s per run, {args.rounds} rounds alternating")
    raw, ours, raw_cpu, ours_cpu = [], [], [], []
    try:
        for index in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="readyscore-bench-") as tmp:
                rate, per_cpu = measured(lambda: raw_run(url, args.users, args.processes, args.seconds, Path(tmp)))
                raw.append(rate)
                raw_cpu.append(per_cpu)
            time.sleep(0.5)
            with tempfile.TemporaryDirectory(prefix="readyscore-bench-") as tmp:
                rate, per_cpu = measured(lambda: readyscore_run(url, args.users, args.processes, args.seconds,
                                                                Path(tmp)))
                ours.append(rate)
                ours_cpu.append(per_cpu)
            print(f"round {index + 1}: raw Locust FastHttpUser {raw[-1]:8.1f} req/s ({raw_cpu[-1]:6.0f}/CPU-s) | "
                  f"readyscore {ours[-1]:8.1f} req/s ({ours_cpu[-1]:6.0f}/CPU-s) | ratio {ours[-1] / raw[-1]:.3f}")
    finally:
        server.terminate()
    ratio = statistics.median(ours) / statistics.median(raw)
    cpu_ratio = statistics.median(ours_cpu) / statistics.median(raw_cpu)
    print(f"\nmedian: raw {statistics.median(raw):.1f} req/s, readyscore {statistics.median(ours):.1f} req/s "
          f"-> {ratio:.3f}x (target >= {args.target:g}x: {'met' if ratio >= args.target else 'NOT met'})")
    print(f"requests per CPU-second of the load generator (start-up included): raw {statistics.median(raw_cpu):.0f}, "
          f"readyscore {statistics.median(ours_cpu):.0f} -> {cpu_ratio:.3f}x")
    return 0 if ratio >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
