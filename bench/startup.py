"""How long `paperbell --help` and a mistyped `paperbell preview` take, whole process.

Run: .venv/bin/python bench/startup.py
Both must answer before a person wonders whether anything happened: under 0.5 s. The bare
interpreter's start is printed beside them, as the floor no import order can go below.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_SECONDS = 0.5
RUNS = 9


def median_seconds(command: list[str]) -> float:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=False)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    paperbell = [sys.executable, "-m", "bot"]
    cases = {
        "paperbell --help": [*paperbell, "--help"],
        "paperbell preview not-an-id": [*paperbell, "preview", "not-an-id"],
    }
    floor = median_seconds([sys.executable, "-c", "pass"])
    print(f"{'command':30} {'median':>8}   limit (median of {RUNS} runs, whole process)")
    for name, command in cases.items():
        seconds = median_seconds(command)
        verdict = "ok" if seconds < LIMIT_SECONDS else "TOO SLOW"
        print(f"{name:30} {seconds:7.3f}s   < {LIMIT_SECONDS} s {verdict}")
    print(f"{'python -c pass (the floor)':30} {floor:7.3f}s")


if __name__ == "__main__":
    main()
