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
            with transaction(shared.engine(), write=True) as session:
                set_period_open(session, name=name, is_open=not is_open, actor=actor, source="Verwaltung")
            shared.refresh()
            st.session_state["flash"] = f"Periode {name} {'geschlossen' if is_open else 'geöffnet'}."
            st.rerun()
    if periods and st.button("Fehlende Halbjahre bis heute anlegen"):
        with transaction(shared.engine(), write=True) as session:
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
        with transaction(shared.engine(), write=True) as session:
            result = apply_definition(session, definition, actor=actor, source=f"Datei {upload.name}")
        shared.refresh()
        st.session_state["flash"] = f"Strategie-Definition geladen: {len(result.changes)} Änderungen."
        st.rerun()


def users_section(actor: Actor) -> None:
    from tracking.access import ROLES
    from tracking.users import UserSpec, create_user, list_users, set_password, update_user

    st.subheader("Benutzer und Rollen")
    snap = shared.snapshot()
    with transaction(shared.engine()) as session:
        users = [
            {
                "Benutzername": u.username,
                "Name": u.display_name,
                "Rolle": ROLES[u.role],
                "Geltungsbereich": ", ".join((u.scope_fields or []) + (u.scope_departments or [])) or "–",
                "E-Mail (SSO)": u.email or "–",
                "aktiv": "ja" if u.active else "nein",
                "letzte Anmeldung": fmt.datetime(u.last_login_at) if u.last_login_at else "–",
            }
            for u in list_users(session)
        ]
    if users:
        st.dataframe(pd.DataFrame(users), hide_index=True, width="stretch")
    else:
        st.caption("Noch keine Benutzerkonten.")
    with st.expander("Benutzer anlegen oder ändern", icon=":material/person_add:"):
        with st.form("benutzer"):
            c1, c2 = st.columns(2)
            username = c1.text_input("Benutzername (klein, ohne Leerzeichen)")
            name = c2.text_input("Name")
            role = c1.selectbox("Rolle", list(ROLES), format_func=ROLES.get)
            email = c2.text_input("E-Mail für Single Sign-on (freiwillig)")
            fields = c1.multiselect("Aktionsfelder (Koordination)", list(snap.fields["field_code"]))
            departments = c2.multiselect("Departemente (Koordination)", list(snap.departments["department_code"]))
            home = c1.selectbox(
                "Eigenes Departement (Departementsleitung)", ["–", *snap.departments["department_code"]]
            )
            password = c2.text_input("Passwort (neu setzen, mindestens 10 Zeichen)", type="password")
            active = c1.checkbox("aktiv", value=True)
            submitted = st.form_submit_button("Speichern", type="primary")
        if submitted:
            spec = UserSpec(
                username.strip().lower(), name, role, fields, departments, None if home == "–" else home, email or None
            )
            try:
                with transaction(shared.engine(), write=True) as session:
                    existing = {u.username for u in list_users(session)}
                    if spec.username in existing:
                        update_user(
                            session,
                            spec.username,
                            actor=actor,
                            source="Verwaltung",
                            display_name=name,
                            role=role,
                            scope_fields=fields,
                            scope_departments=departments,
                            home_department=spec.home_department,
                            email=email,
                            active=active,
                        )
                        if password:
                            set_password(session, spec.username, password, actor=actor, source="Verwaltung")
                    else:
                        create_user(session, spec, password=password or None, actor=actor, source="Verwaltung")
            except TrackingError as exc:
                for message in exc.messages:
                    st.error(message)
            else:
                st.session_state["flash"] = f"Benutzer «{spec.username}» gespeichert."
                st.rerun()


def audit_section() -> None:
    from tracking.audit import AUDIT_ACTIONS, audit_entries, audit_workbook

    st.subheader("Protokoll")
    st.caption("Jeder Schreibvorgang mit Person, Zeit, Quelle und den Werten vorher und nachher. Nur lesbar.")
    c1, c2, c3, c4 = st.columns(4)
    person = c1.text_input("Person", key="protokoll_person")
    action = c2.selectbox(
        "Aktion", ["", *AUDIT_ACTIONS], format_func=lambda a: AUDIT_ACTIONS.get(a, "alle"), key="protokoll_aktion"
    )
    since = c3.date_input("von", value=None, format="DD.MM.YYYY", key="protokoll_von")
    until = c4.date_input("bis", value=None, format="DD.MM.YYYY", key="protokoll_bis")
    text = st.text_input("Suche (Massnahme, Datei, Person)", key="protokoll_text")
    with transaction(shared.engine()) as session:
        entries = audit_entries(
            session, actor=person or None, action=action or None, since=since, until=until, text=text or None
        )
    st.caption(f"{len(entries)} Einträge")
    st.dataframe(
        entries.head(500),
        hide_index=True,
        width="stretch",
        column_config={"Zeit": st.column_config.DatetimeColumn("Zeit", format="DD.MM.YYYY HH:mm:ss")},
    )
    st.download_button(
        "Protokoll als Excel",
        data=lambda: audit_workbook(entries),
        file_name="Protokoll.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        disabled=entries.empty,
    )


def administration() -> None:
    st.title("Verwaltung")
    shared.flash()
    actor = shared.actor()
    periods_section(actor)
    st.divider()
    strategy_section(actor)
    st.divider()
    users_section(actor)
    st.divider()
    shared.import_history_view(limit=20)
    st.divider()
    audit_section()


administration()
