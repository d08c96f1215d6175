"""The period summary as plain text (for the command line)."""

from __future__ import annotations

from tracking import formatting as fmt
from tracking.figures import PeriodFigures
from tracking.snapshot import Snapshot
from tracking.vocab import strength_label


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def summary_text(structure: Snapshot, figures: PeriodFigures) -> str:
    """Headline and matrix of the period's figures (tracking/figures.py period_figures, the
    overview's); structure: the strategy without measures (load_snapshot(with_measures=False))."""
    h = figures.headline
    lines = [
        f"Berichtsperiode {figures.period}",
        "",
        f"Massnahmen:              {fmt.number(h['measures'])} (davon {fmt.number(h['active'])} mit Meldepflicht)",
        f"Gesamtfortschritt:       {fmt.percent(h['overall_progress'])}",
        f"Anteil auf Kurs (grün):  {fmt.share(h['on_track_share'])}",
        f"Ampel:                   grün {h['green']} · gelb {h['yellow']} · rot {h['red']}",
        f"Hinter Plan:             {h['behind_plan']}",
        f"Überfällig:              {h['overdue']}",
        f"Rücklauf:                {fmt.share(h['completeness'])} ({h['reported']} von {h['active']})",
        "",
        "Aktionsfelder × Kernziele (Beitrag, Fortschritt)",
        "",
    ]
    cores = list(structure.core_goals["core_code"])
    rows = []
    for f in figures.fields.itertuples():
        cells = figures.matrix[figures.matrix["field_code"] == f.field_code].set_index("core_code")
        row = [f.field_code, fmt.percent(f.progress)]
        for core in cores:
            cell = cells.loc[core]
            row.append(
                "–" if cell["n_goals"] == 0 else f"{strength_label(cell['strength'])} {fmt.percent(cell['progress'])}"
            )
        rows.append(row)
    core_row = ["Kernziel", ""] + [fmt.percent(p) for p in figures.core_goals["progress"]]
    lines.append(_table(["Feld", "Fortschritt", *cores], [*rows, core_row]))
    return "\n".join(lines)
