"""Verwaltung: reporting periods, the strategy definition, the import history."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages import shared
from tracking import formatting as fmt
from tracking.access import Actor
from tracking.db import transaction
from tracking.errors import TrackingError
from tracking.periods import add_missing_periods, all_periods, set_period_open
from tracking.strategy import apply_definition, parse_definition, preview_definition


def periods_section(actor: Actor) -> None:
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
        if cols[3].button(label, key=f"period_{name}"):
            with transaction(shared.engine()) as session:
                set_period_open(session, name=name, is_open=not is_open, actor=actor, source="Verwaltung")
            shared.refresh()
            st.session_state["flash"] = f"Periode {name} {'geschlossen' if is_open else 'geöffnet'}."
            st.rerun()
    if periods and st.button("Fehlende Halbjahre bis heute anlegen"):
        with transaction(shared.engine()) as session:
            created = add_missing_periods(session, actor=actor, today=dt.date.today(), source="Verwaltung")
        shared.refresh()
        st.session_state["flash"] = (
            f"Neu angelegt: {', '.join(created)}." if created else "Alle Halbjahre bis heute bestehen bereits."
        )
        st.rerun()


def strategy_section(actor: Actor) -> None:
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
        preview = preview_definition(shared.engine(), definition, actor=actor, source=upload.name)
    except TrackingError as exc:
        st.error(f"Die Datei wurde nicht übernommen ({len(exc.messages)} Problem(e)); nichts wurde geändert:")
        st.dataframe(pd.DataFrame({"Problem": exc.messages}), hide_index=True, width="stretch")
        return
    if not preview.changes:
        st.info("Keine Änderungen: die Datenbank entspricht der Datei bereits.")
        return
    st.markdown(f"**Vorschau: {len(preview.changes)} Änderungen**")
    st.dataframe(pd.DataFrame({"Änderung": preview.changes}), hide_index=True, width="stretch")
    if st.button("Definition laden", type="primary"):
        with transaction(shared.engine()) as session:
            result = apply_definition(session, definition, actor=actor, source=f"Datei {upload.name}")
        shared.refresh()
        st.session_state["flash"] = f"Strategie-Definition geladen: {len(result.changes)} Änderungen."
        st.rerun()


def administration() -> None:
    st.title("Verwaltung")
    shared.flash()
    actor = shared.actor()
    periods_section(actor)
    st.divider()
    strategy_section(actor)
    st.divider()
    shared.import_history_view(limit=20)


administration()
