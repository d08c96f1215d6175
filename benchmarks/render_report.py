"""Render the council report's files to PNG, one image per page, to look at them as a council member would.

Builds the PowerPoint, the PDF and the Excel file of a period (the demo data of 2026-H2 unless
--database-url and --period say otherwise), converts the PowerPoint with LibreOffice to PDF and
renders every page of both PDFs with pdftoppm. Tests that read text do not see a chart without
its labels or a table cut at the slide's edge; these pictures do.

Needs Chromium (charts), LibreOffice (soffice) and poppler-utils (pdftoppm).

Run: .venv/bin/python benchmarks/render_report.py [--out DIR] [--database-url URL --period 2026-H2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracking.bootstrap import init_database
from tracking.council import load_council_content
from tracking.council_export import render_charts, to_pdf, to_pptx, to_xlsx
from tracking.db import make_engine, transaction

DEMO_DAY = dt.date(2026, 11, 15)


def pages_to_png(pdf: Path, prefix: Path, dpi: int) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    return sorted(prefix.parent.glob(f"{prefix.name}-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("test-artifacts/report"))
    parser.add_argument("--database-url", help="a database with data (default: fresh demo data)")
    parser.add_argument("--period", default="2026-H2")
    parser.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args()
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} fehlt (Debian-Pakete libreoffice-impress, poppler-utils).")

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
            init_database(make_engine(url), actor="render", demo=True, today=DEMO_DAY)
        with transaction(make_engine(url)) as session:
            content = load_council_content(session, args.period, as_of=DEMO_DAY if args.database_url is None else None)

    out = args.out
    if out.exists():
        shutil.rmtree(out)
    (out / "slides").mkdir(parents=True)
    (out / "pdf").mkdir()
    images = render_charts(content)
    base = f"Sitzungsbericht_{content.period}"
    (out / f"{base}.pptx").write_bytes(to_pptx(content, images=images))
    (out / f"{base}.pdf").write_bytes(to_pdf(content, images=images))
    (out / f"{base}.xlsx").write_bytes(to_xlsx(content))
    with tempfile.TemporaryDirectory() as converted:
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", converted, str(out / f"{base}.pptx")],
            check=True,
            capture_output=True,
            timeout=300,
        )
        slides = pages_to_png(Path(converted) / f"{base}.pdf", out / "slides" / "folie", args.dpi)
    pages = pages_to_png(out / f"{base}.pdf", out / "pdf" / "seite", args.dpi)
    print(f"{len(slides)} Folien: {out / 'slides'}")
    print(f"{len(pages)} PDF-Seiten: {out / 'pdf'}")


if __name__ == "__main__":
    main()
