"""Widgets more than one page shows: banners, messages, the measures table, problems of a file,
the history of writes with their undo."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import auth, data
from pages.text import md_text
from tracking import formatting as fmt
from tracking.access import can
from tracking.errors import TrackingError
from tracking.excel_import import import_history
from tracking.tables import light_cell_css, measure_display
from tracking.undo import undo
from tracking.xlsx import tables_workbook

# Streamlit's own widget texts are English and have no setting: the file uploader's button
# («Upload») and size note («200MB per file»; our limit of 10 MB is in each label) are replaced
# in CSS; the choice fields' placeholder («Choose an option»), the date fields' placeholders
# («dd.mm.yyyy») and the names screen readers hear («day, Beginn») by a script that also
# follows the fields React draws later. tests/test_browser_german.py reads every page for English words.
GERMAN_WIDGETS = """
<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after { content: "Datei wählen"; }
[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: "oder hierher ziehen"; font-size: 0.875rem; color: #555;
}
</style>
<script>
(() => {
  if (window.trackingGermanWidgets) return;
  window.trackingGermanWidgets = true;
  const placeholders = { dd: "TT", mm: "MM", yyyy: "JJJJ" };
  const parts = { "day, ": "Tag, ", "month, ": "Monat, ", "year, ": "Jahr, " };
  const choices = { "Choose an option": "Bitte wählen", "Choose options": "Bitte wählen" };
  const german = () => {
    document.querySelectorAll("input[placeholder]").forEach((input) => {
      if (choices[input.placeholder]) input.placeholder = choices[input.placeholder];
    });
    document.querySelectorAll('[data-testid="stFileUploaderDropzoneInput"][aria-label="file upload"]').forEach(
      (input) => input.setAttribute("aria-label", "Datei hochladen")
    );
    // The button's German text is CSS content, which not every screen reader (nor axe) reads.
    document.querySelectorAll('[data-testid="stFileUploaderDropzone"] button:not([aria-label])').forEach(
      (button) => button.setAttribute("aria-label", "Datei wählen")
    );
    document.querySelectorAll('[data-testid="stSelectboxVirtualDropdownEmpty"], [role="option"]').forEach((item) => {
      if (item.textContent === "No results") item.textContent = "Keine Treffer";
    });
    dates();
  };
  const segments = '[data-testid="stDateInputField"] [role="spinbutton"]';
  const dates = () => document.querySelectorAll(segments).forEach((seg) => {
    const german = placeholders[seg.textContent];
    if (seg.dataset.placeholder === "true" && german) seg.textContent = german;
    const label = seg.getAttribute("aria-label") || "";
    for (const [en, de] of Object.entries(parts)) {
      if (label.startsWith(en)) seg.setAttribute("aria-label", de + label.slice(en.length));
    }
    if (seg.getAttribute("aria-valuetext") === "Empty") seg.setAttribute("aria-valuetext", "leer");
  });
  // Once per frame however many changes React makes (a page run changes thousands of nodes).
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; german(); });
  };
  german();
  new MutationObserver(schedule).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ["aria-label", "aria-valuetext", "data-placeholder", "placeholder"],
  });
})();
</script>
"""


def german_widgets() -> None:
    st.html(GERMAN_WIDGETS, unsafe_allow_javascript=True)


def banners() -> None:
    facts = data.store_facts()
    # Keyed, so that the Sitzungsbericht's presentation can hide them (class st-key-banners).
    with st.container(key="banners"):
        if facts.demo:
            st.warning(
                "**Demodaten** – Massnahmen und Statusberichte sind erfunden und dienen nur der Vorführung.",
                icon=":material/science:",
            )
        if facts.goals_are_examples:
            st.caption(
                "Hinweis: Die Ziele pro Aktionsfeld sind **Beispiele**, bis der Wortlaut aus B 108 "
                "(Kapitel 4) geladen ist."
            )


# A measures table shows at most this many rows (the rest by filter or as Excel).
MEASURE_ROWS_LIMIT = 5_000
# The Statusbericht's table in the browser is for a few measures; beyond this many the Excel
# template is the way (a table of 10'000 rows takes seconds to send and is no way to report).
ENTRY_ROWS_LIMIT = 2_000
MEASURE_COLUMNS = {
    "Fortschritt": st.column_config.ProgressColumn("Fortschritt", min_value=0, max_value=100, format="%d %%"),
    "Soll": st.column_config.NumberColumn("Soll", format="%d %%", help="Erwarteter Fortschritt laut Plan"),
    "Titel": st.column_config.TextColumn("Titel", width="large"),
    "Begründung / Kommentar": st.column_config.TextColumn("Begründung / Kommentar", width="large"),
}


# Tinting goes through a pandas Styler, which sends every cell a second time as text and costs
# about 0.3 s per run at 5'000 rows: larger tables keep their lights as icon and word only.
COLOURED_ROWS_LIMIT = 1_000


ROW_PX = 35  # st.dataframe's row height


def table_height(rows: int) -> int:
    """The pixel height at which st.dataframe shows the header and this many rows without scrolling."""
    return (rows + 1) * ROW_PX + 3


def with_coloured_lights(table: pd.DataFrame, column: str = "Ampel"):
    """The table with each light cell tinted in its colour (tracking.tables.light_cell_css); a table
    over COLOURED_ROWS_LIMIT rows as it is."""
    if len(table) > COLOURED_ROWS_LIMIT:
        return table
    return table.style.map(light_cell_css, subset=[column])


def show_measures(measures: pd.DataFrame, key: str, file_name: str, *, always_download: bool = False, **kwargs):
    """The measures table (rows of a roll-up) with the same columns everywhere.

    Beyond MEASURE_ROWS_LIMIT rows it shows the first ones (by code) and says so, and the whole
    list is a download (made when clicked): 100'000 rows take seconds to send to the browser.
    """
    cut = len(measures) > MEASURE_ROWS_LIMIT
    if cut:
        st.caption(
            f"Die Tabelle zeigt die ersten {fmt.number(MEASURE_ROWS_LIMIT)} von {fmt.number(len(measures))} "
            "Massnahmen (nach Code); die ganze Liste steht in der Excel-Datei."
        )
    event = st.dataframe(
        with_coloured_lights(measure_display(measures.head(MEASURE_ROWS_LIMIT))),
        hide_index=True,
        width="stretch",
        column_config=MEASURE_COLUMNS,
        key=key,
        **kwargs,
    )
    if cut or always_download:
        st.download_button(
            "Liste als Excel",
            data=lambda: tables_workbook({"Massnahmen": measure_display(measures)}),
            file_name=file_name,
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            on_click="ignore",
            key=f"{key}_excel",
        )
    return event


def write_history(items: list[dict], *, key: str, limit: int, empty: str, more: str, title: str | None = None) -> None:
    """Writes that can be undone (status imports, browser-table entries, catalogue changes), newest
    first, each with who, when, what and its «Rückgängig» button. Every undo goes through the one
    library undo (tracking/undo.py) with the same guards; its refusal shows in German.

    items: as tracking.excel_import.import_history or tracking.catalogue.catalogue_history give
    them (a status import also names the scopes it touched). key: the buttons' key prefix.
    """
    if title:
        st.markdown(f"**{title}**")
    if not items:
        st.caption(empty)
        return
    current = auth.actor()
    allowed = current is not None and can(current, "undo")
    for item in items[:limit]:
        cols = st.columns([5, 1])
        state = f" · rückgängig gemacht (Vorgang {item['undone_by']})" if item["undone_by"] else ""
        cols[0].markdown(
            f"**{item['label']}** · {fmt.datetime(item['at'])} · {md_text(item['actor'])} · "
            f"{md_text(item['source'])}  \n{md_text(item['summary'])}{state}"
        )
        if item["undone_by"]:
            continue
        # The library refuses an undo outside the scope; the button says so before.
        in_scope = allowed and all(current.covers(f, d) for f, d in item.get("scopes", ()))
        why_not = (
            f"Dieser Import betrifft Massnahmen ausserhalb Ihres Geltungsbereichs ({current.scope_label})."
            if allowed
            else "Nur Administration und Koordination dürfen Importe rückgängig machen."
        )
        if cols[1].button(
            "Rückgängig", key=f"{key}_{item['id']}", disabled=not in_scope, help=None if in_scope else why_not
        ):
            _undo(item["id"])
    if len(items) > limit:
        st.caption(more.format(count=fmt.number(len(items) - limit)))


def _undo(write_id: int) -> None:
    try:
        with auth.write() as (session, actor):
            result = undo(session, write_id, actor)
    except TrackingError as exc:
        st.error(md_text(" ".join(exc.messages)))
        return
    data.refresh()
    if result.kind == "catalogue":
        done = f"Katalogänderung {write_id} rückgängig gemacht ({fmt.count(result.rows, 'Eintrag', 'Einträge')})."
    else:
        done = f"Import {write_id} rückgängig gemacht ({fmt.count(result.rows, 'Zeile', 'Zeilen')})."
    st.session_state["flash"] = done
    st.rerun()


def import_history_view(limit: int = 10) -> None:
    """The latest status imports (files and the browser table), each with an undo button."""
    st.subheader("Importe")
    with data.read() as session:
        history = import_history(session)
    write_history(
        [{**item, "label": f"Import {item['id']}"} for item in history],
        key="undo",
        limit=limit,
        empty="Noch keine Importe.",
        more="{count} ältere Importe: vollständige Liste mit `python -m tracking imports`.",
    )


def problems_table(problems, *, in_browser_table: bool = False) -> None:
    """The problems of a refused file: sheet, row, column (Excel's letter) and what is wrong.

    in_browser_table: the problems of the status table on the page, named by row and column header.
    """
    if in_browser_table:
        rows = [{"Zeile": p.row or "–", "Spalte": p.header or p.column or "–", "Problem": p.message} for p in problems]
    else:
        rows = [
            {"Blatt": p.sheet or "–", "Zeile": p.row or "–", "Spalte": p.column or "–", "Problem": p.message}
            for p in problems
        ]
    table = pd.DataFrame(rows)
    st.dataframe(table, hide_index=True, width="stretch")


def flash() -> None:
    """Show the message a write left for the next run (st.rerun drops the page's output); it may name data."""
    if message := st.session_state.pop("flash", None):
        st.success(md_text(message), icon=":material/check_circle:")


# A deadline this close is shown as a warning, not as a note.
SOON_DAYS = 14


def deadline_banner(tasks, is_open: bool) -> None:
    """The period's Meldeschluss (tracking.tasks.Tasks), the closer the louder."""
    if not is_open:
        st.info(f"Die Berichtsperiode {tasks.period} ist geschlossen: es ist nichts mehr zu melden.")
        return
    if tasks.deadline_text is None:
        st.caption(f"Berichtsperiode {tasks.period}: kein Meldeschluss festgelegt.")
    elif tasks.deadline_passed:
        st.error(f"{tasks.deadline_text}.", icon=":material/alarm:")
    elif tasks.days_left <= SOON_DAYS:
        st.warning(f"{tasks.deadline_text}.", icon=":material/schedule:")
    else:
        st.info(f"{tasks.deadline_text}.", icon=":material/event:")
