"""Render plotly figures to PNG in a process of its own.

    python tracking/council_export/render_worker.py JOBS.json

It imports nothing of the project (so that it starts fast) and is run by its path.

JOBS.json holds the browser, kaleido's per-image timeout and the images
(figure as plotly JSON, target path, pixel size, scale). The worker prints
one line per step on stdout, so that the caller can tell a browser that
never starts from one that renders slowly:

    ready            the browser is up, rendering begins
    done             every PNG is written
    error TEXT       rendering failed (exit code 1)
    nobrowser TEXT   the browser closed at once (exit code 3)

Why a process: Chromium driven by kaleido can hang (seen at start on a busy
machine, and for good with a browser that never answers); kaleido then waits
forever, and its threads cannot be stopped from outside. A process can be
killed, with its browser, and tried again (chart_images.py does that).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

EXIT_FAILED = 1
EXIT_NO_BROWSER = 3
_state = {"ready": False}


def _say(*words: str) -> None:
    print(" ".join(words).replace("\n", " "), flush=True)


async def _render(jobs: dict) -> None:
    import kaleido

    specs = [
        {
            "fig": json.loads(image["figure"]),
            "path": image["path"],
            "opts": {"format": "png", "width": image["width"], "height": image["height"], "scale": image["scale"]},
        }
        for image in jobs["images"]
    ]
    # One tab: on two cores a second one slows the start more than it speeds the rendering.
    async with kaleido.Kaleido(path=jobs["browser"], n=1, timeout=jobs["image_timeout"], mathjax=False) as k:
        _state["ready"] = True
        _say("ready")
        await k.write_fig_from_object(specs, cancel_on_error=True)


def main(argv: list[str]) -> int:
    jobs = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        asyncio.run(_render(jobs))
    except Exception as exc:  # the caller turns it into a German message
        # Before «ready» the browser did not start, whatever the error (a browser that exits at
        # once shows as BrowserFailedError or, a moment later, as a closed channel).
        if not _state["ready"]:
            _say("nobrowser", f"{exc.__class__.__name__}: {exc}")
            return EXIT_NO_BROWSER
        _say("error", f"{exc.__class__.__name__}: {exc}")
        return EXIT_FAILED
    _say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
