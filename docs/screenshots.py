"""Draw the README's pictures of the reports (`make screenshots`): run the bundled Double-11
scenario, render its report.html in headless Chromium, and save screens as docs/*.png.

Pictures are made from fresh runs, never by hand, so they always show what the code draws.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from simchain.report.browser import render

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "results" / "screenshots"
DOCS = ROOT / "docs"


def simchain(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "simchain.cli", *args], check=True, cwd=ROOT)


def main() -> None:
    run = WORK / "double11"
    simchain("run", "double11", "--seed", "1", "--out", str(run), "--quiet")
    shots = [
        (run / "report.html", DOCS / "report-run.png", None),
        (run / "report.html", DOCS / "report-backlog.png", 'img[alt="backlog"]'),
    ]
    for page, png, anchor in shots:
        seen = render(page, png, width=1200, height=820, scroll_to=anchor)
        if seen.errors:
            raise SystemExit(f"{page}: the browser reported {seen.errors}")
        print(f"{png.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
