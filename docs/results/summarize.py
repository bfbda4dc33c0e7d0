#!/usr/bin/env python3
"""Markdown table of the preset runs in a workspace (see run-presets.sh): train accuracy of the
first and last five iterations, evaluation accuracy and pass@8 at iteration 0 and at the end."""
import json
import subprocess
import sys

cli, db = sys.argv[1], sys.argv[2]


def cli_json(*args):
    return json.loads(subprocess.run([cli, *args, "--db", db, "--json"], check=True, capture_output=True,
                                     text=True).stdout)


def mean(values):
    return sum(values) / len(values) if values else float("nan")


print("| preset | train accuracy, first 5 it. | last 5 it. | eval accuracy it. 0 | end | eval pass@8 it. 0 | end "
      "| distinct correct it. 0 | end | s / iteration |")
print("|---|---|---|---|---|---|---|---|---|---|")
for run in cli_json("list", "runs"):
    if run["name"] == "warmstart" or run["status"] != "finished":
        continue
    series = {name: [(p["iteration"], p["value"]) for p in points]
              for name, points in cli_json("metrics", str(run["id"])).items()}
    acc = [v for _, v in sorted(series.get("accuracy", []))]
    ev = sorted(series.get("eval/accuracy", []))
    pk = sorted(series.get("eval/pass@k", []))
    dc = sorted(series.get("eval/distinct_correct", []))
    it = [v for _, v in series.get("time/iteration_s", [])]
    fmt = lambda x: f"{100 * x:.1f}%"
    print(f"| {run['algorithm']} | {fmt(mean(acc[:5])) if acc else '-'} | {fmt(mean(acc[-5:])) if acc else '-'} "
          f"| {fmt(ev[0][1]) if ev else '-'} | {fmt(ev[-1][1]) if ev else '-'} | {fmt(pk[0][1]) if pk else '-'} "
          f"| {fmt(pk[-1][1]) if pk else '-'} | {f'{dc[0][1]:.2f}' if dc else '-'} | {f'{dc[-1][1]:.2f}' if dc else '-'} "
          f"| {mean(it):.2f} |")
