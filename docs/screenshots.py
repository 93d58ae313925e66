"""Draw the README's pictures of the reports (`make screenshots`): run the bundled Double-11
scenario and the bundled stocking experiment (with 3 replications instead of 5, to keep it to
a few minutes), render their report.html in headless Chromium, and save screens as docs/*.png;
and animate the Double-11 teaching scenario into docs/animation-double11.gif.

Pictures are made from fresh runs, never by hand, so they always show what the code draws.
`--reuse` keeps the runs of a previous call (complete folders only) and redraws their reports.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from simchain.report.browser import render

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "results" / "screenshots"
DOCS = ROOT / "docs"


def simchain(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "simchain.cli", *args], check=True, cwd=ROOT)


def main() -> None:
    reuse = "--reuse" in sys.argv[1:]
    WORK.mkdir(parents=True, exist_ok=True)
    run = WORK / "double11"
    if reuse and (run / "manifest.json").exists():
        simchain("report", str(run), "--quiet")
    else:
        simchain("run", "double11", "--seed", "1", "--out", str(run), "--quiet")
    spec = yaml.safe_load((ROOT / "experiments" / "stocking_strategies.yaml").read_text())
    spec["replications"] = 3
    short = WORK / "stocking_strategies.yaml"
    short.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    experiment = WORK / "stocking_strategies"
    if reuse and (experiment / "manifest.json").exists():
        simchain("report", str(experiment), "--quiet")
    else:
        simchain("experiment", str(short), "--out", str(experiment), "--quiet")
    shots = [
        (run / "report.html", DOCS / "report-run.png", None),
        (run / "report.html", DOCS / "report-backlog.png", 'img[alt="backlog"]'),
        (experiment / "report.html", DOCS / "report-experiment.png", None),
        (experiment / "report.html", DOCS / "report-tradeoff.png", 'img[alt="tradeoff"]'),
    ]
    gif = DOCS / "animation-double11.gif"
    simchain("animate", "scenarios/teaching/double11_backlog.yaml", "--out", str(gif), "--quiet")
    print(f"{gif.relative_to(ROOT)}")
    for page, png, anchor in shots:
        seen = render(page, png, width=1200, height=820, scroll_to=anchor)
        if seen.errors:
            raise SystemExit(f"{page}: the browser reported {seen.errors}")
        print(f"{png.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
