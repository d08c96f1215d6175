"""Verwaltung: reporting periods, the strategy definition, users, the measures catalogue, imports, the audit trail."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages import auth, data, sidebar, widgets
from pages.text import md_text
from tracking import formatting as fmt
from tracking.access import ROLES, Actor
from tracking.audit import AUDIT_ACTIONS, audit_entries, audit_workbook
from tracking.catalogue import apply_catalogue, plan_catalogue, plan_entries, shown_value
from tracking.catalogue_export import LABELS, NO, YES, export_catalogue
from tracking.errors import TrackingError
from tracking.frozen import set_period_open
from tracking.periods import add_missing_periods, all_periods, deadline_text, set_deadline
from tracking.public import page_enabled
from tracking.strategy import apply_definition, parse_definition, preview_definition
from tracking.users import UserSpec, list_users, save_user, scope_text
from tracking.vocab import DIRECTIONS
from tracking.workbook import ImportRefused

NEW = "– neu –"
PUBLIC_HELP = (
    "Titel, Aktionsfeld, Ziel, Federführung, Status, Fortschritt, Ampel und Termine erscheinen auf der "
    "öffentlichen Seite und in den offenen Daten. Begründungen, Risiken, nächste Schritte, Kommentare und "
    "Personen nie."
)


def periods_section(actor: Actor) -> None:
    st.subheader("Berichtsperioden")
    with data.read() as session:
        periods = [(p.name, p.start_date, p.end_date, p.is_open, p.deadline) for p in all_periods(session)]
    if not periods:
        st.info("Noch keine Perioden. Sie entstehen beim Laden der Strategie-Definition (Abschnitt «periods»).")
    for name, start, end, is_open, deadline in reversed(periods):
        cols = st.columns([2, 3, 2, 4, 2])
        cols[0].markdown(f"**{name}**")
        cols[1].write(f"{fmt.date(start)} – {fmt.date(end)}")
        cols[2].markdown(":material/lock_open: offen" if is_open else ":material/lock: geschlossen")
        cols[3].write(deadline_text(deadline) if deadline else "kein Meldeschluss")
        label = "Schliessen" if is_open else "Öffnen"
        if cols[4].button(label, key=f"period_{name}"):
            with auth.write() as (session, actor):
                set_period_open(session, name=name, is_open=not is_open, actor=actor, source="Verwaltung")
            data.refresh()
            st.session_state["flash"] = f"Periode {name} {'geschlossen' if is_open else 'geöffnet'}."
            st.rerun()
    if periods:
        deadline_form([name for name, *_ in reversed(periods)], {name: d for name, *_, d in periods})
    if periods and st.button("Fehlende Halbjahre bis heute anlegen"):
        with auth.write() as (session, actor):
            created = add_missing_periods(session, actor=actor, today=dt.date.today(), source="Verwaltung")
        data.refresh()
        st.session_state["flash"] = (
            f"Neu angelegt: {', '.join(created)}." if created else "Alle Halbjahre bis heute bestehen bereits."
        )
        st.rerun()


def deadline_form(names: list[str], deadlines: dict) -> None:
    """Meldeschluss of one period: set a day, or remove it."""
    with st.form("meldeschluss"):
        st.markdown("**Meldeschluss**")
        left, right = st.columns(2)
        name = left.selectbox("Periode", names, key="meldeschluss_periode")
        day = right.date_input("Meldeschluss", value=None, format="DD.MM.YYYY", key="meldeschluss_datum")
        save = st.form_submit_button("Meldeschluss speichern")
        remove = st.form_submit_button("Meldeschluss entfernen")
    if not (save or remove):
        return
    if save and day is None:
        st.error("Bitte ein Datum für den Meldeschluss wählen.")
        return
    try:
        with auth.write() as (session, actor):
            changed = set_deadline(
                session, name=name, deadline=None if remove else day, actor=actor, source="Verwaltung"
            )
    except TrackingError as exc:
        st.error(md_text(" ".join(exc.messages)))
        return
    data.refresh()
    shown = f"Meldeschluss {name}: {fmt.date(day)}." if save else f"Meldeschluss {name} entfernt."
    st.session_state["flash"] = shown if changed else f"{shown} (unverändert)"
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
        preview = preview_definition(data.engine(), definition, actor=actor, source=upload.name)
    except TrackingError as exc:
        st.error(f"Die Datei wurde nicht übernommen ({len(exc.messages)} Problem(e)); nichts wurde geändert:")
        st.dataframe(pd.DataFrame({"Problem": exc.messages}), hide_index=True, width="stretch")
        return
    if not preview.changes:
        st.info("Keine Änderungen: die Datenbank entspricht der Datei bereits.")
        return
    st.markdown(f"**Vorschau: {len(preview.changes)} Änderungen**")
    # A list, not a grid: each change is a sentence and wraps instead of being cut.
    with st.container(height=min(400, 40 + 28 * len(preview.changes)), border=True):
        st.markdown("\n".join(f"- {md_text(change)}" for change in preview.changes))
    if st.button("Definition laden", type="primary"):
        with auth.write() as (session, actor):
            result = apply_definition(session, definition, actor=actor, source=f"Datei {upload.name}")
        data.refresh()
        st.session_state["flash"] = f"Strategie-Definition geladen: {len(result.changes)} Änderungen."
        st.rerun()


def users_section(actor: Actor) -> None:
    st.subheader("Benutzer und Rollen")
    snap = data.structure()
    with data.read() as session:
        users = [
            {
                "Benutzername": u.username,
                "Name": u.display_name,
                "Rolle": ROLES[u.role],
                "Geltungsbereich": scope_text(u),
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
            fields = c1.multiselect(
                "Aktionsfelder (Koordination)", list(snap.fields["field_code"]), placeholder="keine"
            )
            departments = c2.multiselect(
                "Departemente (Koordination)", list(snap.departments["department_code"]), placeholder="keine"
            )
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
                with auth.write() as (session, actor):
                    save_user(session, spec, actor=actor, password=password or None, active=active, source="Verwaltung")
            except TrackingError as exc:
                for message in exc.messages:
                    st.error(md_text(message))
            else:
                st.session_state["flash"] = f"Benutzer «{spec.username}» gespeichert."
                st.rerun()


def catalogue_section(actor: Actor) -> None:
    st.subheader("Massnahmenkatalog")
    st.caption(
        "Massnahmen und Kennzahlen anlegen, ändern oder ausser Kraft setzen: einzeln im Formular oder alle auf "
        "einmal in Excel. Ausser Kraft gesetzte Massnahmen zählen ab der nächsten Periode nicht mehr; ihre "
        "Geschichte bleibt. Gelöscht wird nichts."
    )
    if page_enabled():
        # Plain text, not a caption: a link in grey caption text lacks contrast.
        st.markdown(
            "Massnahmen mit «Öffentlich: ja» zeigt die [öffentliche Seite](/oeffentlich) ohne Anmeldung, mit "
            "Titel, Feld, Ziel, Federführung, Status, Fortschritt, Ampel und Terminen, nur für abgeschlossene "
            "Perioden; nie Begründungen, Risiken, Kommentare oder Personen."
        )

    def make() -> bytes:
        with data.read() as session:
            return export_catalogue(session, generated_by=actor.name)

    left, right = st.columns([1, 2])
    left.download_button(
        "Katalog herunterladen (.xlsx)",
        data=make,
        file_name=f"Massnahmenkatalog_{dt.date.today():%Y-%m-%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
    upload = right.file_uploader(
        "Bearbeiteten Katalog hochladen (.xlsx)", key=f"katalog_{st.session_state.get('katalog_runde', 0)}"
    )
    if upload is not None:
        cache_key = f"katalog_plan:{upload.file_id}"
        if cache_key not in st.session_state:
            try:
                with data.read() as session:
                    st.session_state[cache_key] = plan_catalogue(session, upload.getvalue(), upload.name)
            except ImportRefused as refused:
                st.session_state[cache_key] = refused
        plan = st.session_state[cache_key]
        if isinstance(plan, ImportRefused):
            st.error(
                f"Der Katalog «{upload.name}» wurde nicht übernommen: {len(plan.problems)} "
                f"Problem{'e' if len(plan.problems) != 1 else ''}. Nichts wurde gespeichert.",
                icon=":material/error:",
            )
            widgets.problems_table(plan.problems)
        else:
            catalogue_preview(plan)
            if plan.has_changes and st.button("Katalog speichern", type="primary", key="katalog_speichern"):
                with auth.write() as (session, actor):
                    write_id = apply_catalogue(session, plan, actor=actor)
                del st.session_state[cache_key]
                st.session_state["katalog_runde"] = st.session_state.get("katalog_runde", 0) + 1
                data.refresh()
                st.session_state["flash"] = f"Katalog gespeichert (Vorgang {write_id})."
                st.rerun()
    measure_form(actor)
    indicator_form(actor)
    catalogue_changes()


def catalogue_preview(plan) -> None:
    cols = st.columns(4)
    for col, kind in zip(cols, ("neu", "geändert", "ausser Kraft", "unverändert")):
        col.metric(kind.capitalize(), fmt.number(plan.count(kind)))
    changed = [c for c in plan.changes if c.kind != "unverändert"]
    if not changed:
        st.info("Der Katalog enthält keine Änderungen gegenüber den gespeicherten Werten.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Zeile": c.row,
                    "Art": c.kind,
                    "Was": c.what,
                    "Eintrag": c.key,
                    "Änderung": "; ".join(
                        f"{LABELS[k]}: {shown_value(a)} → {shown_value(b)}" for k, (a, b) in c.fields.items()
                    ),
                }
                for c in changed
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _save_entries(actor: Actor, *, measures=(), indicators=()) -> None:
    """Check and save form entries with the catalogue's rules; problems show by field."""
    try:
        with auth.write() as (session, actor):
            plan = plan_entries(session, measures=list(measures), indicators=list(indicators))
            write_id = apply_catalogue(session, plan, actor=actor)
    except ImportRefused as refused:
        for problem in refused.problems:
            st.error(md_text(f"{problem.header or 'Eingabe'}: {problem.message}"))
        return
    if write_id is None:
        st.info("Keine Änderung: die Angaben entsprechen den gespeicherten.")
        return
    data.refresh()
    changes = "; ".join(line.strip() for line in plan.summary_lines()[1:])
    st.session_state["flash"] = f"Katalog gespeichert (Vorgang {write_id}): {changes}."
    st.rerun()


def measure_form(actor: Actor) -> None:
    structure = data.structure()
    goals = list(structure.goals["goal_code"])
    with st.expander("Massnahme anlegen, ändern oder ausser Kraft setzen", icon=":material/edit_note:"):
        chosen_goal = None
        if len(data.measure_codes()) > sidebar.MEASURE_CHOICES_LIMIT:
            chosen_goal = st.selectbox(
                "Ziel der Massnahme",
                goals,
                key="katalog_ziel",
                help=f"Bei mehr als {fmt.number(sidebar.MEASURE_CHOICES_LIMIT)} Massnahmen zuerst das Ziel wählen.",
            )
        stored = data.measure_entries(chosen_goal)
        code = st.selectbox(
            "Massnahme",
            [NEW, *stored],
            format_func=lambda c: c if c == NEW else f"{c} {stored[c]['title']}",
            key="katalog_massnahme",
        )
        values = stored.get(code, {})
        departments = list(structure.departments["department_code"])
        default_goal = values.get("goal") or chosen_goal
        with st.form(f"massnahme_{code}"):
            c1, c2 = st.columns(2)
            goal = c1.selectbox(
                "Ziel",
                goals,
                index=goals.index(default_goal) if default_goal in goals else 0,
                disabled=code != NEW,
                help="Eine Massnahme wechselt das Ziel nicht.",
            )
            department = c2.selectbox(
                "Federführung",
                departments,
                index=departments.index(values["department"]) if values.get("department") in departments else 0,
            )
            title = st.text_input("Titel", value=values.get("title") or "")
            description = st.text_area("Beschreibung", value=values.get("description") or "")
            unit = c1.text_input("Verantwortliche Stelle", value=values.get("responsible_unit") or "")
            contact = c2.text_input("Kontakt", value=values.get("contact") or "")
            partners = st.multiselect(
                "Partnerdepartemente",
                departments,
                default=(values.get("partners") or "").split(", ") if values.get("partners") else [],
                placeholder="keine",
            )
            d1, d2, d3, d4 = st.columns(4)
            start = d1.date_input("Beginn", value=values.get("start_date"), format="DD.MM.YYYY")
            end = d2.date_input("Geplantes Ende", value=values.get("planned_end"), format="DD.MM.YYYY")
            budget = d3.number_input(
                "Budget CHF",
                min_value=0.0,
                step=1000.0,
                value=float(values["budget_chf"]) if values.get("budget_chf") is not None else None,
            )
            weight = d4.number_input("Gewicht", min_value=0.1, step=0.5, value=float(values.get("weight") or 1.0))
            active = st.checkbox(
                "aktiv (ohne Haken: ausser Kraft ab der nächsten Periode)", value=values.get("active", True)
            )
            public = st.checkbox("öffentlich", value=values.get("public", False), help=PUBLIC_HELP)
            submitted = st.form_submit_button("Massnahme speichern", type="primary")
        if submitted:
            entry = {
                "code": None if code == NEW else code,
                "goal": goal if code == NEW else values["goal"],
                "title": title,
                "description": description or None,
                "department": department,
                "responsible_unit": unit or None,
                "contact": contact or None,
                "partners": ", ".join(partners) or None,
                "start_date": start,
                "planned_end": end,
                "budget_chf": budget,
                "weight": weight,
                "active": YES if active else NO,
                "public": YES if public else NO,
            }
            _save_entries(actor, measures=[entry])


def indicator_form(actor: Actor) -> None:
    structure = data.structure()
    stored = data.catalogue()[0]
    with st.expander("Kennzahl anlegen, ändern oder ausser Kraft setzen", icon=":material/query_stats:"):
        choice = st.selectbox(
            "Kennzahl",
            [NEW, *stored],
            format_func=lambda i: i if i == NEW else f"Nr. {i} {stored[i]['name']} ({stored[i]['goal']})",
            key="katalog_kennzahl",
        )
        values = stored.get(choice, {})
        goals = list(structure.goals["goal_code"])
        with st.form(f"kennzahl_{choice}"):
            c1, c2 = st.columns(2)
            goal = c1.selectbox(
                "Ziel",
                goals,
                index=goals.index(values["goal"]) if values.get("goal") in goals else 0,
                disabled=choice != NEW,
            )
            name = c2.text_input("Kennzahl", value=values.get("name") or "")
            unit = c1.text_input("Einheit", value=values.get("unit") or "")
            direction = c2.selectbox(
                "Richtung",
                list(DIRECTIONS.values()),
                index=list(DIRECTIONS).index(values.get("direction") or "hoeher"),
            )
            d1, d2, d3, d4 = st.columns(4)
            baseline = d1.number_input("Ausgangswert", value=values.get("baseline"))
            baseline_year = d2.number_input("Ausgangsjahr", value=values.get("baseline_year"), step=1, format="%d")
            target = d3.number_input("Zielwert", value=values.get("target"))
            target_year = d4.number_input("Zieljahr", value=values.get("target_year"), step=1, format="%d")
            active = st.checkbox("aktiv", value=values.get("active", True))
            submitted = st.form_submit_button("Kennzahl speichern", type="primary")
        if submitted:
            entry = {
                "id": None if choice == NEW else choice,
                "goal": goal if choice == NEW else values["goal"],
                "name": name,
                "unit": unit,
                "baseline": baseline,
                "baseline_year": baseline_year,
                "target": target,
                "target_year": target_year,
                "direction": direction,
                "active": YES if active else NO,
            }
            _save_entries(actor, indicators=[entry])


def catalogue_changes() -> None:
    """The latest catalogue changes, each with an undo button."""
    records = data.catalogue()[1]
    if not records:
        return
    widgets.write_history(
        [{**item, "label": f"Vorgang {item['id']}"} for item in records],
        title="Letzte Katalogänderungen",
        key="katalog_undo",
        limit=len(records),
        empty="",
        more="",
    )


def audit_section() -> None:
    st.subheader("Protokoll")
    st.caption("Jeder Schreibvorgang mit Person, Zeit, Quelle und den Werten vorher und nachher. Nur lesbar.")
    c1, c2, c3, c4 = st.columns(4)
    person = c1.text_input(
        "Benutzername", key="protokoll_person", help="Das Konto, z. B. koord5 (für die Kommandozeile ihr Name)."
    )
    action = c2.selectbox(
        "Aktion", ["", *AUDIT_ACTIONS], format_func=lambda a: AUDIT_ACTIONS.get(a, "alle"), key="protokoll_aktion"
    )
    since = c3.date_input("von", value=None, format="DD.MM.YYYY", key="protokoll_von")
    until = c4.date_input("bis", value=None, format="DD.MM.YYYY", key="protokoll_bis")
    text = st.text_input("Suche (Massnahme, Datei, Person)", key="protokoll_text")
    with data.read() as session:
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
    widgets.flash()
    actor = auth.actor()
    periods_section(actor)
    st.divider()
    strategy_section(actor)
    st.divider()
    users_section(actor)
    st.divider()
    catalogue_section(actor)
    st.divider()
    widgets.import_history_view(limit=20)
    st.divider()
    audit_section()


administration()
