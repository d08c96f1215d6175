"""Kernziele: which fields and goals serve a core goal, how strongly, and how far they are."""

import pandas as pd
import streamlit as st

from pages import data, sidebar, widgets
from pages.text import md_text
from tracking import charts
from tracking import formatting as fmt
from tracking import rollup as ru
from tracking.matrix_table import matrix_html
from tracking.vocab import strength_label


def core_goals() -> None:
    st.title("Kernziele")
    period = sidebar.selected_period()
    snap = data.structure()
    if period is None or snap.core_goals.empty:
        st.info("Noch keine Kernziele oder Berichtsperioden erfasst.")
        return
    names = dict(zip(snap.core_goals["core_code"], snap.core_goals["core_name"]))
    core = sidebar.chosen(sidebar.CORE_GOAL_KEY)
    st.header(f"{core} – {md_text(names[core])}", divider="gray")
    r = data.figures(period)  # in SQL: per goal, never per measure
    row = r.core_goals[r.core_goals["core_code"] == core].iloc[0]

    cols = st.columns(3)
    cols[0].metric(
        f"Fortschritt {core}",
        fmt.percent(row["progress"]),
        help="Mittel der Ziele, gewichtet mit ihrem Beitrag an das Kernziel.",
    )
    serving = ru.core_goal_contributors(snap, r.goals, core)
    cols[1].metric("Ziele mit Beitrag", fmt.number(len(serving)))
    cols[2].metric("Aktionsfelder mit Beitrag", fmt.number(serving["field_code"].nunique()))

    st.subheader(f"Was zu {core} beiträgt")
    if serving.empty:
        st.info("Kein Ziel trägt zu diesem Kernziel bei. Die Beiträge werden in der Strategie-Definition gepflegt.")
    else:
        table = pd.DataFrame(
            {
                "Aktionsfeld": serving["field_code"] + " " + serving["field_name"],
                "Ziel": serving["goal_code"],
                "Wortlaut": serving["goal_name"],
                "Beitrag": [strength_label(w) for w in serving["weight"]],
                "Gewicht": serving["weight"],
                # Whole percent as fmt.percent rounds: the bar's label «%d» would cut the decimals off.
                "Fortschritt": serving["progress"].round(0),
            }
        ).sort_values(["Gewicht", "Aktionsfeld"], ascending=[False, True])
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            # Two lines per row: a goal's wording wraps instead of being cut.
            row_height=widgets.WRAPPED_ROW_PX,
            height=widgets.table_height(len(table), widgets.WRAPPED_ROW_PX),
            column_config={
                "Fortschritt": st.column_config.ProgressColumn(
                    "Fortschritt", min_value=0, max_value=100, format="%d %%"
                ),
                "Wortlaut": st.column_config.TextColumn("Wortlaut", width="large"),
                "Gewicht": st.column_config.NumberColumn("Gewicht", help="keine 0, schwach 1, mittel 2, stark 3"),
            },
        )

    st.subheader("Aktionsfelder × Kernziele")
    st.html(matrix_html(r.matrix, "aktionsfelder", {sidebar.PERIOD_KEY: period.name}))
    st.markdown("**Fortschritt pro Feld und Kernziel**")
    st.plotly_chart(charts.field_core_bars(r.matrix), width="stretch", key="core_bars")


core_goals()
