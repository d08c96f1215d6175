"""Statusbericht: download the template, upload it, check the preview, save; chase missing reports."""

import pandas as pd
import streamlit as st

from pages import auth, data, sidebar, widgets
from pages.text import md_text
from tracking import charts
from tracking import formatting as fmt
from tracking import rollup as ru
from tracking.access import can, in_scope, template_choices
from tracking.council_content import waiting_sentence
from tracking.entry_table import EMPTY, LAST_REPORT, entries_from_table, entry_table
from tracking.errors import TrackingError
from tracking.excel_import import apply_import, plan_entries, plan_import
from tracking.excel_template import build_template
from tracking.scope import Scope
from tracking.sign_off import waiting_count
from tracking.status_validation import show_value
from tracking.tasks import tasks_for
from tracking.vocab import LIGHTS, STATUSES
from tracking.workbook import ImportRefused

SCOPE_KINDS = {"Aktionsfeld": "field", "Departement": "department", "Alle Massnahmen": "all"}


def template_section(period: str) -> Scope:
    st.subheader("1. Vorlage herunterladen")
    snap = data.structure()
    current = auth.actor()
    allowed, field_names, department_names = template_choices(
        current,
        dict(zip(snap.fields["field_code"], snap.fields["field_name"])),
        dict(zip(snap.departments["department_code"], snap.departments["department_name"])),
    )
    kinds = {label: kind for label, kind in SCOPE_KINDS.items() if kind in allowed}
    # A link (the reminder e-mail: ?feld=AF5 or ?departement=FD) chooses the scope to start with.
    linked_field, linked_department = st.query_params.get("feld"), st.query_params.get("departement")
    first = "field" if linked_field in field_names else "department" if linked_department in department_names else None
    labels = list(kinds)
    start = next((i for i, label in enumerate(labels) if kinds[label] == first), 0)
    left, right = st.columns([1, 2])
    kind_label = left.radio("Geltungsbereich", labels, index=start, key="vorlage_art", horizontal=False)
    kind = kinds[kind_label]
    scope = Scope()
    if kind == "field":
        fields = list(field_names)
        code = right.selectbox(
            "Aktionsfeld",
            fields,
            index=fields.index(linked_field) if linked_field in field_names else 0,
            format_func=lambda c: f"{c} {field_names[c]}",
            key="vorlage_feld",
        )
        scope = Scope("field", code)
    elif kind == "department":
        departments = list(department_names)
        code = right.selectbox(
            "Departement",
            departments,
            index=departments.index(linked_department) if linked_department in department_names else 0,
            format_func=lambda c: f"{c} – {department_names[c]}",
            key="vorlage_departement",
        )
        scope = Scope("department", code)
    count = len(data.owing(period, scope))
    right.caption(f"{fmt.number(count)} meldepflichtige Massnahmen in {period} ({scope.label}).")

    def make() -> bytes:
        with data.read() as session:
            return build_template(session, period=period, scope=scope, generated_by=current.name)

    suffix = "alle" if scope.kind == "all" else scope.code
    right.download_button(
        "Vorlage herunterladen (.xlsx)",
        data=make,
        file_name=f"Statusbericht_{period}_{suffix}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        type="primary",
        disabled=count == 0,
    )
    return scope


def upload_section(period: str) -> None:
    st.subheader("2. Ausgefüllte Vorlage hochladen")
    actor = auth.actor()
    upload = st.file_uploader(
        "Ausgefüllte Vorlage (.xlsx, höchstens 10 MB)",
        # A new key after each save empties the uploader for the next file.
        key=f"upload_{st.session_state.get('upload_round', 0)}",
        help="Die Datei wird vollständig geprüft. Gespeichert wird erst nach Ihrer Bestätigung.",
    )
    if upload is None:
        st.caption("Noch keine Datei gewählt. Fehler werden mit Blatt, Zeile und Spalte genannt.")
        return
    cache_key = f"plan:{upload.file_id}"
    if cache_key not in st.session_state:
        bar = st.progress(0.0, text="Datei wird geprüft …")
        try:
            with data.read() as session:
                plan = plan_import(
                    session,
                    upload.getvalue(),
                    upload.name,
                    expected_period=period,
                    actor=actor,
                    progress=lambda f, t: bar.progress(min(max(f, 0.0), 1.0), text=t),
                )
            st.session_state[cache_key] = plan
        except ImportRefused as refused:
            st.session_state[cache_key] = refused
        bar.empty()
    result = st.session_state[cache_key]

    if isinstance(result, ImportRefused):
        st.error(
            f"Die Datei «{md_text(upload.name)}» wurde nicht übernommen: {len(result.problems)} "
            f"Problem{'e' if len(result.problems) != 1 else ''}. Nichts wurde gespeichert. "
            "Bitte korrigieren und erneut hochladen.",
            icon=":material/error:",
        )
        widgets.problems_table(result.problems)
        return

    preview_and_save(result, f"Datei «{result.filename}»", cache_key, "upload_round")


def preview_and_save(plan, what: str, cache_key: str, round_key: str) -> None:
    """The preview of a checked upload or table, and the button that saves it."""
    st.markdown(f"**Vorschau** – {md_text(what)}, Periode {plan.period}, {plan.scope.label}")
    cols = st.columns(4)
    cols[0].metric("Neu", fmt.number(plan.count("neu")))
    cols[1].metric("Geändert", fmt.number(plan.count("geändert")))
    cols[2].metric("Unverändert", fmt.number(plan.count("unverändert")))
    cols[3].metric(
        "Ohne Angaben", fmt.number(plan.empty_rows), help="Zeilen ohne Status, Ampel und Fortschritt: keine Meldung."
    )
    rows = [
        {
            "Zeile": c.row,
            "Art": c.kind,
            "Was": c.what,
            "Massnahme / Kennzahl": c.key,
            "Änderung": "; ".join(f"{k}: {show_value(old)} → {show_value(new)}" for k, (old, new) in c.fields.items()),
        }
        for c in plan.changes
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    hints_section(plan)
    if not plan.has_changes:
        st.info("Keine Änderungen gegenüber den gespeicherten Werten. Es gibt nichts zu speichern.")
        return
    if st.button(
        f"Änderungen speichern ({plan.count('neu') + plan.count('geändert')})", type="primary", key=f"save_{cache_key}"
    ):
        bar = st.progress(0.0, text="Wird gespeichert …")
        try:
            with auth.write() as (session, actor):
                saved = apply_import(
                    session,
                    plan,
                    actor=actor,
                    progress=lambda f, t: bar.progress(min(max(f, 0.0), 1.0), text=t),
                )
        except TrackingError as exc:
            bar.empty()
            st.error("Nicht gespeichert: " + md_text(" ".join(exc.messages)))
            return
        bar.empty()
        del st.session_state[cache_key]
        st.session_state[round_key] = st.session_state.get(round_key, 0) + 1
        data.refresh()
        if saved.reports_submitted:
            st.session_state["flash"] = (
                f"Eingereicht als Import {saved.write_id}: {saved.reports_submitted} Meldungen warten auf die "
                f"Freigabe durch die Departementsleitung, {saved.values_written} Kennzahlwerte gespeichert. "
                "Freigegeben zählen die Meldungen in allen Auswertungen."
            )
        else:
            st.session_state["flash"] = (
                f"Gespeichert als Import {saved.write_id}: {saved.reports_written} Meldungen, "
                f"{saved.values_written} Kennzahlwerte. Die Übersicht zeigt die neuen Werte."
            )
        st.rerun()


def hints_section(plan) -> None:
    """Plausibility warnings of what the plan changes: shown, never blocking."""
    if not plan.hints:
        return
    count = sum(len(row.hints) for row in plan.hints)
    st.warning(
        f"{fmt.number(count)} {'Plausibilitätshinweis' if count == 1 else 'Plausibilitätshinweise'}: "
        "bitte prüfen. Speichern ist trotzdem möglich; eine Erklärung gehört in die Spalte "
        "«Erläuterung zu Hinweisen» und wird mit der Meldung gespeichert.",
        icon=":material/warning:",
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Zeile": row.row,
                    "Massnahme": row.code,
                    "Hinweis": hint.message,
                    "Erläuterung": row.explanation or "–",
                }
                for row in plan.hints
                for hint in row.hints
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"Hinweis": st.column_config.TextColumn(width="large")},
    )


def entry_section(period: str, scope: Scope) -> None:
    """Status entry in the browser: a table of the measures in scope, checked and saved like an upload."""
    st.subheader("Oder direkt hier erfassen")
    actor = auth.actor()
    measures = data.owing(period, scope)
    measures = in_scope(actor, measures)
    if measures.empty:
        st.caption("Keine meldepflichtigen Massnahmen in diesem Geltungsbereich.")
        return
    if len(measures) > widgets.ENTRY_ROWS_LIMIT:
        narrower = " oder in Schritt 1 ein Aktionsfeld oder Departement wählen" if scope.kind == "all" else ""
        st.info(
            f"{fmt.number(len(measures))} meldepflichtige Massnahmen ({scope.label}): zu viele für die Tabelle im "
            f"Browser (höchstens {fmt.number(widgets.ENTRY_ROWS_LIMIT)}). Bitte die Excel-Vorlage verwenden "
            f"(Schritte 1 und 2){narrower}.",
            icon=":material/table_view:",
        )
        return
    st.caption(
        f"Für wenige Massnahmen ohne Excel ({scope.label}, {fmt.number(len(measures))} Massnahmen): Status, Ampel und "
        "Fortschritt eintragen oder Zeilen aus Excel einfügen (Zelle wählen, Ctrl+V); Gelb und Rot brauchen eine "
        "Begründung. Zeilen ohne Angaben bleiben ohne Meldung. Gilt die letzte Meldung weiter, «Unverändert» "
        "ankreuzen und Status, Ampel und Fortschritt leer lassen. Die Eingaben zählen erst mit «Eingaben prüfen», "
        "dort gelten dieselben Prüfungen und Plausibilitätshinweise wie beim Hochladen."
    )
    table = entry_table(measures, data.last_reports(period, list(measures["measure_id"])))
    round_key = "entry_round"
    # A fixed key gives the table a stable handle (CSS class st-key-erfassung) for browser tests.
    edited = st.container(key="erfassung").data_editor(
        table,
        key=f"erfassung_{period}_{scope}_{st.session_state.get(round_key, 0)}",
        hide_index=True,
        width="stretch",
        num_rows="fixed",
        disabled=["Code", "Titel", LAST_REPORT],
        # No rerun per cell: the edits travel with «Eingaben prüfen», none lost to a rerun in between.
        on_change="ignore",
        column_config={
            "Status": st.column_config.SelectboxColumn("Status", options=[EMPTY, *STATUSES.values()], width="medium"),
            "Ampel": st.column_config.SelectboxColumn("Ampel", options=[EMPTY, *LIGHTS.values()], width="small"),
            "Fortschritt %": st.column_config.TextColumn(
                "Fortschritt %", width="small", help="Ganze Zahl von 0 bis 100, z. B. 50 oder 50 %"
            ),
            "Titel": st.column_config.TextColumn("Titel", width="medium"),
            "Letzte Meldung": st.column_config.TextColumn(
                "Letzte Meldung", width="medium", help="Die letzte Meldung vor dieser Periode (nur zur Ansicht)"
            ),
            "Unverändert": st.column_config.CheckboxColumn(
                "Unverändert",
                width="small",
                help="Angekreuzt: die letzte Meldung gilt für diese Periode weiter (Status, Ampel, Fortschritt leer).",
            ),
        },
    )
    cache_key = f"entry_plan:{period}:{scope}"
    if st.button("Eingaben prüfen", icon=":material/fact_check:"):
        entries = entries_from_table(edited)
        try:
            with data.read() as session:
                st.session_state[cache_key] = plan_entries(session, entries, period=period, scope=scope, actor=actor)
        except ImportRefused as refused:
            st.session_state[cache_key] = refused
    result = st.session_state.get(cache_key)
    if isinstance(result, ImportRefused):
        st.error(
            f"Nicht übernommen: {len(result.problems)} Problem{'e' if len(result.problems) != 1 else ''} "
            "(Zeile 2 ist die erste Zeile der Tabelle). Nichts wurde gespeichert.",
            icon=":material/error:",
        )
        widgets.problems_table(result.problems, in_browser_table=True)
    elif result is not None:
        preview_and_save(result, "Eingaben im Browser", cache_key, round_key)


def completeness_section(period: str) -> None:
    st.subheader(f"Rücklauf {period}")
    owing = data.owing(period, Scope())
    if owing.empty:
        st.info("In dieser Periode sind keine Massnahmen meldepflichtig.")
        return
    total = ru.completeness(owing.assign(alle="Alle"), "alle").iloc[0]
    st.progress(
        float(total["share"]),
        text=(
            f"{fmt.number(total['reported'])} von {fmt.number(total['active'])} Meldungen eingegangen "
            f"({fmt.share(total['share'])})"
        ),
    )
    with data.read() as session:
        waiting = waiting_count(session, data.structure().resolve(period).id)
    if waiting:
        st.caption(f"{waiting_sentence(waiting)} Freigegeben wird unter «Meine Aufgaben» der Departementsleitung.")
    left, right = st.columns(2)
    with left:
        st.markdown("**Nach Departement**")
        st.plotly_chart(
            charts.completeness_bars(ru.completeness(owing, "department_code"), "department_code"),
            width="stretch",
            key="ruecklauf_dep",
        )
    with right:
        st.markdown("**Nach Aktionsfeld**")
        st.plotly_chart(
            charts.completeness_bars(ru.completeness(owing, "field_code"), "field_code"),
            width="stretch",
            key="ruecklauf_feld",
        )
    missing = owing[~owing["has_report"]]
    if missing.empty:
        st.success("Alle Meldungen sind eingegangen.", icon=":material/check_circle:")
        return
    with st.expander(f"Fehlende Meldungen ({fmt.number(len(missing))}) – zum Nachfragen", expanded=False):
        st.dataframe(
            missing[["code", "title", "department_code", "field_code", "responsible_unit"]].rename(
                columns={
                    "code": "Code",
                    "title": "Titel",
                    "department_code": "Departement",
                    "field_code": "Aktionsfeld",
                    "responsible_unit": "Verantwortliche Stelle",
                }
            ),
            hide_index=True,
            width="stretch",
        )


def returned_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Massnahme": frame["code"],
            "Titel": frame["title"],
            "Status": [STATUSES[s] for s in frame["status"]],
            "Ampel": [LIGHTS[light] for light in frame["light"]],
            "Fortschritt %": frame["progress"],
            "Kommentar der Departementsleitung": frame["review_comment"],
            "von": frame["reviewed_by"],
        }
    )


def status_report() -> None:
    st.title("Statusbericht")
    selected = sidebar.selected_period()
    if selected is None:
        st.info("Noch keine Berichtsperioden erfasst.")
        return
    widgets.flash()
    # Templates, uploads and the Rücklauf need the period's name only (no plan is read here).
    period = selected.name
    with data.read() as session:
        tasks = tasks_for(session, auth.actor(), selected, data.owing(period, Scope()))
    widgets.deadline_banner(tasks, selected.is_open)
    if auth.actor().role == "koordination" and not tasks.returned.empty:
        st.warning(
            f"{fmt.count(len(tasks.returned), 'Meldung wurde', 'Meldungen wurden')} von der Departementsleitung "
            "zurückgewiesen: bitte überarbeiten und neu melden.",
            icon=":material/undo:",
        )
        st.dataframe(returned_table(tasks.returned), hide_index=True, width="stretch")
    if not can(auth.actor(), "import"):
        st.caption(
            f"Rücklauf der Berichtsperiode {period}. Hochladen dürfen Administration und Koordination; "
            "Ihre Rolle sieht den Stand."
        )
    elif selected.is_open:
        st.caption(f"Berichtsperiode **{period}** ist offen: Vorlage herunterladen, ausfüllen, hochladen.")
        scope = template_section(period)
        upload_section(period)
        st.divider()
        entry_section(period, scope)
    else:
        open_periods = [p for p, o in zip(data.structure().periods["period"], data.structure().periods["is_open"]) if o]
        hint = (
            f"Offen: {', '.join(open_periods)} (in der Seitenleiste wählen)."
            if open_periods
            else ("Zurzeit ist keine Periode offen; die Fachstelle öffnet sie unter «Verwaltung».")
        )
        st.info(f"Berichtsperiode {period} ist geschlossen: keine Vorlagen und keine Uploads. {hint}")
    completeness_section(period)
    widgets.import_history_view()


status_report()
