"""Verwaltung: reporting periods, the strategy definition, the import history."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages import shared
from tracking import formatting as fmt
from tracking.audit import WriteLog
from tracking.db import transaction
from tracking.errors import TrackingError
from tracking.periods import all_periods, ensure_half_years, set_period_open
from tracking.strategy import apply_definition, parse_definition, preview_definition


def periods_section(actor: str | None) -> None:
    st.subheader("Berichtsperioden")
    with transaction(shared.engine()) as session:
        periods = [(p.name, p.start_date, p.end_date, p.is_open) for p in all_periods(session)]
    if not periods:
        st.info("Noch keine Perioden. Sie entstehen beim Laden der Strategie-Definition (Abschnitt «periods»).")
    for name, start, end, is_open in reversed(periods):
        cols = st.columns([2, 3, 2, 2])
        cols[0].markdown(f"**{name}**")
        cols[1].write(f"{fmt.date(start)} – {fmt.date(end)}")
        cols[2].markdown(":material/lock_open: offen" if is_open else ":material/lock: geschlossen")
        label = "Schliessen" if is_open else "Öffnen"
        if cols[3].button(
            label,
            key=f"period_{name}",
            disabled=not actor,
            help=None if actor else "Zuerst Ihren Namen in der Seitenleiste angeben.",
        ):
            with transaction(shared.engine()) as session:
                set_period_open(session, name=name, is_open=not is_open, actor=actor, source="Verwaltung")
            shared.refresh()
            st.session_state["flash"] = f"Periode {name} {'geschlossen' if is_open else 'geöffnet'}."
            st.rerun()
    if periods and st.button("Fehlende Halbjahre bis heute anlegen", disabled=not actor):
        with transaction(shared.engine()) as session:
            log = WriteLog(session, actor=actor, source="Verwaltung", action="periods")
            created = ensure_half_years(session, log, first=periods[0][0], today=dt.date.today())
        shared.refresh()
        st.session_state["flash"] = (
            f"Neu angelegt: {', '.join(p.name for p in created)}."
            if created
            else "Alle Halbjahre bis heute bestehen bereits."
        )
        st.rerun()


def strategy_section(actor: str | None) -> None:
    st.subheader("Strategie-Definition")
    st.caption(
        "Eine YAML-Datei im Format von data/strategy_luzern.yaml laden. Zuerst zeigt das Tool, was sich ändert; "
        "nicht mehr Aufgeführtes wird ausser Kraft gesetzt, nie gelöscht."
    )
    upload = st.file_uploader("Strategie-Definition (.yaml)", key="strategie_datei")
    if upload is None:
        return
    try:
        text = upload.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.error(f"«{upload.name}» ist keine Textdatei in UTF-8.")
        return
    try:
        definition = parse_definition(text, source=upload.name)
        preview = preview_definition(shared.engine(), definition, actor=actor or "Vorschau", source=upload.name)
    except TrackingError as exc:
        st.error(f"Die Datei wurde nicht übernommen ({len(exc.messages)} Problem(e)); nichts wurde geändert:")
        st.dataframe(pd.DataFrame({"Problem": exc.messages}), hide_index=True, width="stretch")
        return
    if not preview.changes:
        st.info("Keine Änderungen: die Datenbank entspricht der Datei bereits.")
        return
    st.markdown(f"**Vorschau: {len(preview.changes)} Änderungen**")
    st.dataframe(pd.DataFrame({"Änderung": preview.changes}), hide_index=True, width="stretch")
    if not actor:
        st.warning("Bitte in der Seitenleiste Ihren Namen angeben: jede Speicherung wird protokolliert.")
        return
    if st.button("Definition laden", type="primary"):
        with transaction(shared.engine()) as session:
            result = apply_definition(session, definition, actor=actor, source=f"Datei {upload.name}")
        shared.refresh()
        st.session_state["flash"] = f"Strategie-Definition geladen: {len(result.changes)} Änderungen."
        st.rerun()


def administration() -> None:
    st.title("Verwaltung")
    shared.flash()
    actor = shared.current_user()
    if not actor:
        st.info("Änderungen werden mit Namen protokolliert: bitte in der Seitenleiste Ihren Namen angeben.")
    periods_section(actor)
    st.divider()
    strategy_section(actor)
    st.divider()
    shared.import_history_view(limit=20)


administration()
