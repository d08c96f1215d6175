"""Exports of the council's meeting summary: PowerPoint, PDF and Excel.

All three take a CouncilContent (tracking/council.py) and return bytes.
to_pptx and to_pdf need the charts as PNG: pass images= from render_charts,
else they render them (Chromium, see chart_images.py).

    chart_images.py  figures of the report, rendered to PNG, cached; find_browser
    render_worker.py the process that renders them (killed with its browser when it hangs)
    text.py          wording shared by slides and PDF; failure_message for the page
    slides.py        slide layout: measured text, text and tables over several slides
    powerpoint.py    to_pptx: the report's 16:9 slides
    pdf.py           to_pdf: A4 portrait
    excel.py         to_xlsx: the tables, one sheet each
"""

from tracking.council_export.chart_images import (
    ChartImages,
    chart_figures,
    clear_chart_cache,
    find_browser,
    render_charts,
)
from tracking.council_export.excel import PERCENT_FORMAT, SHARE_FORMAT, to_xlsx
from tracking.council_export.pdf import to_pdf
from tracking.council_export.powerpoint import to_pptx
from tracking.council_export.slides import BODY_BOTTOM, CUT_NOTE, SLIDE_W
from tracking.council_export.text import failure_message

__all__ = [
    "BODY_BOTTOM",
    "CUT_NOTE",
    "PERCENT_FORMAT",
    "SHARE_FORMAT",
    "SLIDE_W",
    "ChartImages",
    "chart_figures",
    "clear_chart_cache",
    "failure_message",
    "find_browser",
    "render_charts",
    "to_pdf",
    "to_pptx",
    "to_xlsx",
]
