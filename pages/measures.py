"""Massnahmen: search and filter all measures; one measure's history; the planned spans."""

import pandas as pd
import streamlit as st

from pages import data, sidebar, widgets
from pages.text import md_text
from tracking import charts
from tracking import formatting as fmt
from tracking.measures import MeasureFilter, filter_measures, measure_details, measure_history, report_versions
from tracking.tables import status_text
from tracking.vocab import LIGHTS, STATUSES, light_text

MEASURE_KEY = sidebar.MEASURE_KEY
GANTT_LIMIT = 300


def filters(measures: pd.DataFrame) -> MeasureFilter:
    snap = data.structure()
    text = st.text_input("Suche (Code, Titel, Stelle)", key="suche", placeholder="z. B. Portal oder M-5.1")
    c1, c2, c3 = st.columns(3)
    fields = c1.multiselect("Aktionsfeld", list(snap.fields["field_code"]), key="f_feld", placeholder="alle")
    goal_options = sorted(measures[measures["field_code"].isin(fields) | (len(fields) == 0)]["goal_code"].unique())
    goals = c2.multiselect("Ziel", goal_options, key="f_ziel", placeholder="alle")
    departments = c3.multiselect(
        "Departement", list(snap.departments["department_code"]), key="f_departement", placeholder="alle"
    )
    c4, c5, c6 = st.columns(3)
    statuses = c4.multiselect("Status", list(STATUSES), format_func=STATUSES.get, key="f_status", placeholder="alle")
    lights = c5.multiselect("Ampel", list(LIGHTS), format_func=light_text, key="f_ampel", placeholder="alle")
    with c6:
        behind = st.checkbox("nur hinter Plan", key="f_hinter")
        overdue = st.checkbox("nur überfällig", key="f_ueberfaellig")
        no_report = st.checkbox("nur ohne Meldung", key="f_ohne")
    return MeasureFilter(text, fields, goals, departments, statuses, lights, behind, overdue, no_report)


def detail(measure_id: int, period: str) -> None:
    snap = data.measure_snapshot(measure_id)
    with data.read() as session:
        d = measure_details(session, measure_id)
        versions = report_versions(session, measure_id)
    st.subheader(f"{d['code']} {md_text(d['title'])}")
    if not d["active"]:
        st.warning("Diese Massnahme ist ausser Kraft gesetzt; ihre Geschichte bleibt sichtbar.")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Start", fmt.date(d["start_date"]))
    c2.metric("Geplantes Ende", fmt.date(d["planned_end"]))
    c3.metric("Budget", fmt.chf(d["budget_chf"]))
    c4.metric("Gewicht", fmt.number(d["weight"], 1))
    esc = md_text
    st.markdown(
        f"**Aktionsfeld:** {esc(d['field'])}  \n**Ziel:** {esc(d['goal'])}  \n"
        f"**Federführung:** {esc(d['department'])} · **Partner:** {esc(d['partners'])}  \n"
        f"**Verantwortliche Stelle:** {esc(d['responsible_unit'] or '–')} · **Kontakt:** {esc(d['contact'] or '–')}"
    )
    if d["description"]:
        st.caption(esc(d["description"]))
    history = measure_history(snap, measure_id)
    st.markdown("**Verlauf: gemeldeter Fortschritt (Ist) und Plan (Soll)**")
    if history["progress"].notna().any():
        st.plotly_chart(charts.measure_history_chart(history), width="stretch", key="measure_history")
    else:
        st.info("Zu dieser Massnahme ist noch kein Statusbericht eingegangen.")
    warned = history[[bool(h) for h in history["hints"]]]
    if not warned.empty:
        latest = warned.iloc[-1]
        said = f" Erläuterung: {esc(latest['explanation'])}" if latest["explanation"] else ""
        st.warning(
            f"Plausibilitätshinweise zur Meldung {latest['period']}: "
            + " ".join(esc(h) for h in latest["hints"])
            + said,
            icon=":material/warning:",
        )
    timeline = pd.DataFrame(
        {
            "Periode": history["period"],
            "Status": [
                status_text(s) + (" (unverändert bestätigt)" if u else " (früher)" if c else "")
                for s, u, c in zip(history["status"], history["unchanged"], history["carried"])
            ],
            "Ampel": [light_text(light if isinstance(light, str) else None) for light in history["light"]],
            "Fortschritt": [fmt.percent(p, missing="–") for p in history["progress"]],
            "Soll": [fmt.percent(p, missing="–") for p in history["expected"]],
            "Kommentar / Begründung": history["comment"].fillna(""),
            "Nächste Schritte": history["next_steps"].fillna(""),
            "Hinweise": [" · ".join(h) for h in history["hints"]],
            "Erläuterung": history["explanation"].fillna(""),
            "Gemeldet von": history["reported_by"].fillna(""),
            "am": [fmt.date(t) if pd.notna(t) else "" for t in history["reported_at"]],
        }
    ).iloc[::-1]
    st.dataframe(timeline, hide_index=True, width="stretch")
    older = versions[~versions["is_current"]]
    with st.expander(f"Frühere Fassungen ({len(older)})"):
        if older.empty:
            st.caption("Keine: jede Meldung wurde nur einmal erfasst.")
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        "Periode": older["period"],
                        "Status": [status_text(s) for s in older["status"]],
                        "Ampel": [light_text(light) for light in older["light"]],
                        "Fortschritt": [fmt.percent(p) for p in older["progress"]],
                        "Kommentar": older["comment"].fillna(""),
                        "Gemeldet von": older["reported_by"],
                        "am": [fmt.datetime(t) for t in older["reported_at"]],
                        "Vorgang": older["write_id"],
                    }
                ),
                hide_index=True,
                width="stretch",
            )


def select_row(codes: list[str]) -> None:
    selection = st.session_state.get("measure_table")
    rows = selection.selection.rows if selection else []
    if rows:
        st.session_state[MEASURE_KEY] = codes[rows[0]]


def measures_page() -> None:
    st.title("Massnahmen")
    period = sidebar.selected_period()
    if period is None:
        st.info("Noch keine Berichtsperioden erfasst.")
        return
    measures = data.period_rollup(period).measures
    if measures.empty:
        st.info("Noch keine Massnahmen erfasst. Die Fachstelle erfasst sie unter «Verwaltung».")
        return
    with st.expander("Filter", expanded=True, icon=":material/filter_list:"):
        chosen = filters(measures)
    shown = filter_measures(measures, chosen)
    st.caption(
        f"{fmt.number(len(shown))} von {fmt.number(len(measures))} Massnahmen in {period.name}. "
        "Zeile anklicken für die Details."
    )
    table_tab, gantt_tab = st.tabs(["Tabelle", "Zeitplan"])
    codes = list(shown["code"])
    with table_tab:
        if shown.empty:
            st.info("Keine Massnahme passt zu diesen Filtern. Filter lockern oder zurücksetzen.")
        else:
            widgets.show_measures(
                shown,
                key="measure_table",
                file_name=f"Massnahmen_{period.name}.xlsx",
                always_download=True,
                on_select=lambda: select_row(codes),
                selection_mode="single-row",
            )
    with gantt_tab:
        if shown.empty:
            st.info("Keine Massnahme passt zu diesen Filtern.")
        elif len(shown) > GANTT_LIMIT:
            # Thousands of bars are unreadable and take the browser minutes to draw.
            st.info(
                f"Der Zeitplan zeigt höchstens {fmt.number(GANTT_LIMIT)} Massnahmen; die Filter ergeben "
                f"{fmt.number(len(shown))}. Bitte z. B. ein Aktionsfeld, Ziel oder Departement wählen."
            )
        else:
            st.plotly_chart(charts.measure_gantt(shown), width="stretch", key="gantt")

    st.divider()
    code = (sidebar.chosen(MEASURE_KEY) or "").strip().upper()  # typed at scale (see pages/sidebar.py)
    if not code:
        st.caption("Für die Details eine Zeile der Tabelle anklicken oder links eine Massnahme wählen.")
    elif code not in set(data.measure_codes()):
        st.warning(f"Eine Massnahme mit dem Code «{md_text(code)}» gibt es nicht.", icon=":material/search_off:")
    elif code not in set(measures["code"]):
        st.info(f"Massnahme {code} zählt in {period.name} nicht (noch nicht begonnen oder ausser Kraft).")
    else:
        detail(int(measures.loc[measures["code"] == code, "measure_id"].iloc[0]), period.name)


measures_page()
