"""Meine Aufgaben: the start page of coordinators, department heads and the Fachstelle: what is
due in the period, what waits for release, what came back (tracking/tasks.py)."""

import pandas as pd
import streamlit as st

from pages import auth, data, sidebar, widgets
from pages.text import md_text
from tracking import formatting as fmt
from tracking.errors import TrackingError
from tracking.scope import Scope
from tracking.sign_off import release, return_submissions
from tracking.tasks import STUCK_DAYS, Tasks, tasks_for
from tracking.vocab import STATUSES, SUBMISSION_STATES, light_text


def report_text(row) -> str:
    """A submitted report in a few words: «in Umsetzung, ▲ gelb, 35 %»."""
    return f"{STATUSES[row.status]}, {light_text(row.light)}, {fmt.number(row.progress)} %"


def submission_table(frame: pd.DataFrame, *, with_review: bool = False) -> pd.DataFrame:
    rows = {
        "Massnahme": frame["code"],
        "Titel": frame["title"],
        "Departement": frame["department_code"],
        "Meldung": [report_text(r) for r in frame.itertuples()],
        "Kommentar": frame["comment"].fillna("–"),
        "Eingereicht von": frame["submitted_by_name"],
        "am": [fmt.datetime(at) for at in frame["submitted_at"]],
    }
    if with_review:
        rows["Kommentar der Departementsleitung"] = frame["review_comment"].fillna("–")
        rows["von"] = frame["reviewed_by"].fillna("–")
    return pd.DataFrame(rows)


def measures_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Massnahme": frame["code"],
            "Titel": frame["title"],
            "Departement": frame["department_code"],
            "Aktionsfeld": frame["field_code"],
        }
    )


def attention_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Massnahme": frame["code"],
            "Titel": frame["title"],
            "Ampel": [light_text(light) for light in frame["light"]],
            "Fortschritt %": frame["progress"],
            "geplantes Ende": [fmt.date(d) for d in frame["planned_end"]],
            "Begründung": frame["comment"].fillna("–"),
        }
    )


def status_link(period: str, label: str) -> None:
    actor = auth.actor()
    query = {sidebar.PERIOD_KEY: period}
    if actor.role == "koordination" and actor.fields:
        query["feld"] = sorted(actor.fields)[0]
    elif actor.role == "koordination" and actor.departments:
        query["departement"] = sorted(actor.departments)[0]
    st.page_link("pages/status_report.py", label=label, icon=":material/upload_file:", query_params=query)


def coordinator_view(tasks: Tasks, is_open: bool) -> None:
    cols = st.columns(3)
    cols[0].metric("Noch zu melden", fmt.number(len(tasks.owed)))
    cols[1].metric("Wartet auf Freigabe", fmt.number(len(tasks.waiting)))
    cols[2].metric("Zurückgewiesen", fmt.number(len(tasks.returned)))
    if not tasks.returned.empty:
        st.subheader("Zurückgewiesen: bitte überarbeiten")
        st.caption("Die Departementsleitung hat diese Meldungen mit einem Kommentar zurückgegeben. Bitte neu melden.")
        st.dataframe(submission_table(tasks.returned, with_review=True), hide_index=True, width="stretch")
    st.subheader(f"Noch zu melden ({fmt.number(len(tasks.owed))})")
    if tasks.owed.empty:
        st.success("Alles gemeldet: in Ihrem Geltungsbereich fehlt keine Meldung.", icon=":material/check_circle:")
    else:
        st.dataframe(measures_table(tasks.owed), hide_index=True, width="stretch")
    if is_open and not (tasks.owed.empty and tasks.returned.empty):
        status_link(tasks.period, "Jetzt melden: Vorlage holen oder direkt erfassen")
    if not tasks.waiting.empty:
        st.subheader(f"Wartet auf Freigabe ({fmt.number(len(tasks.waiting))})")
        st.dataframe(submission_table(tasks.waiting), hide_index=True, width="stretch")
    attention_section(tasks, "Ihrem Geltungsbereich")


def attention_section(tasks: Tasks, where: str) -> None:
    st.subheader(f"Rot oder überfällig ({fmt.number(len(tasks.attention))})")
    if tasks.attention.empty:
        st.caption(f"In {where} ist keine Massnahme rot oder überfällig.")
        return
    st.dataframe(
        widgets.with_coloured_lights(attention_table(tasks.attention)),
        hide_index=True,
        width="stretch",
        column_config={"Fortschritt %": st.column_config.NumberColumn(format="%d %%")},
    )


def review_section(tasks: Tasks, is_open: bool) -> None:
    """The reports the actor may release: choose rows, release them or return them with a comment."""
    st.subheader(f"Zur Freigabe ({fmt.number(len(tasks.to_release))})")
    if tasks.to_release.empty:
        st.caption("Keine Meldungen warten auf Ihre Freigabe.")
        return
    if not is_open:
        st.caption("Die Periode ist geschlossen: Freigaben sind nicht mehr möglich.")
        st.dataframe(submission_table(tasks.to_release), hide_index=True, width="stretch")
        return
    st.caption(
        "Freigegebene Meldungen zählen ab sofort in allen Auswertungen und im Sitzungsbericht; zurückgewiesene "
        "gehen mit Ihrem Kommentar an die Koordination zurück. Eigene Meldungen gibt eine andere Person frei."
    )
    st.dataframe(submission_table(tasks.to_release), hide_index=True, width="stretch")
    waiting = tasks.to_release
    names = {int(i): f"{c} {t}" for i, c, t in zip(waiting["submission_id"], waiting["code"], waiting["title"])}
    round_ = st.session_state.get("freigabe_runde", 0)
    every = st.checkbox(f"Alle {fmt.number(len(names))} auswählen", key=f"freigabe_alle_{round_}")
    chosen = st.multiselect(
        "Meldungen auswählen",
        list(names),
        default=list(names) if every else [],
        format_func=names.get,
        key=f"freigabe_wahl_{round_}_{every}",
        placeholder="Massnahme wählen",
        disabled=every,
    )
    left, right = st.columns([1, 2])
    if left.button(f"Auswahl freigeben ({len(chosen)})", type="primary", icon=":material/task_alt:"):
        _review(lambda session, actor: release(session, chosen, actor=actor), "freigegeben", len(chosen))
    comment = right.text_area(
        "Kommentar für die Koordination (zum Zurückweisen nötig)",
        key="freigabe_kommentar",
        max_chars=1000,
        height=80,
    )
    if right.button(f"Auswahl zurückweisen ({len(chosen)})", icon=":material/undo:"):
        _review(
            lambda session, actor: return_submissions(session, chosen, comment, actor=actor),
            "zurückgewiesen",
            len(chosen),
        )


def _review(write, done: str, n: int) -> None:
    try:
        with auth.write() as (session, actor):
            write(session, actor)
    except TrackingError as exc:
        st.error(md_text(" ".join(exc.messages)))
        return
    data.refresh()
    st.session_state["freigabe_runde"] = st.session_state.get("freigabe_runde", 0) + 1
    st.session_state.pop("freigabe_kommentar", None)
    st.session_state["flash"] = f"{fmt.count(n, 'Meldung', 'Meldungen')} {done}."
    st.rerun()


def admin_view(tasks: Tasks, is_open: bool) -> None:
    st.subheader("Rücklauf nach Departement")
    table = tasks.completeness.rename(
        columns={
            "department_code": "Departement",
            "active": "meldepflichtig",
            "reported": "gezählt",
            "waiting": "wartet auf Freigabe",
            "missing": "fehlt",
        }
    )
    active = tasks.completeness["active"]
    table["Anteil gezählt"] = 100 * tasks.completeness["reported"] / active.where(active > 0)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"Anteil gezählt": st.column_config.ProgressColumn(format="%.0f %%", min_value=0, max_value=100)},
    )
    st.subheader(f"Hängig ({fmt.number(len(tasks.stuck))})")
    if tasks.stuck.empty:
        st.caption(f"Nichts hängt: keine Meldung wartet länger als {STUCK_DAYS} Tage, keine ist zurückgewiesen.")
    else:
        st.caption(f"Wartet länger als {STUCK_DAYS} Tage auf die Freigabe, oder zurückgewiesen und nicht neu gemeldet.")
        stuck = submission_table(tasks.stuck, with_review=True)
        stuck.insert(3, "Stand", [SUBMISSION_STATES[state] for state in tasks.stuck["state"]])
        st.dataframe(stuck, hide_index=True, width="stretch")
    review_section(tasks, is_open)


def my_tasks() -> None:
    st.title("Meine Aufgaben")
    widgets.flash()
    actor = auth.actor()
    period = sidebar.selected_period()
    if period is None:
        st.info("Noch keine Berichtsperioden erfasst.")
        return
    scope = {
        "koordination": f"Geltungsbereich {actor.scope_label}",
        "departementsleitung": f"Departement {actor.home_department or '–'}",
        "admin": "ganzer Kanton",
    }.get(actor.role, "")
    st.caption(f"{md_text(actor.name)} · {actor.role_label} · {md_text(scope)} · Berichtsperiode {period.name}")
    with data.read() as session:
        tasks = tasks_for(session, actor, period, data.owing(period.name, Scope()))
    widgets.deadline_banner(tasks, period.is_open)
    if actor.role == "koordination":
        coordinator_view(tasks, period.is_open)
    elif actor.role == "departementsleitung":
        review_section(tasks, period.is_open)
        attention_section(tasks, f"Ihrem Departement ({actor.home_department or '–'})")
    else:
        admin_view(tasks, period.is_open)


my_tasks()
