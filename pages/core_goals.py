"""Kernziele: which fields and goals serve a core goal, how strongly, and how far they are."""

import pandas as pd
import streamlit as st

from pages import shared
from tracking import charts
from tracking import formatting as fmt
from tracking.vocab import strength_label


def core_goals() -> None:
    st.title("Kernziele")
    period = shared.selected_period()
    snap = shared.structure()
    if period is None or snap.core_goals.empty:
        st.info("Noch keine Kernziele oder Berichtsperioden erfasst.")
        return
    names = dict(zip(snap.core_goals["core_code"], snap.core_goals["core_name"]))
    core = shared.chosen(shared.CORE_GOAL_KEY)
    st.header(f"{core} – {shared.md_text(names[core])}", divider="gray")
    r = shared.figures(period)  # in SQL: per goal, never per measure
    row = r.core_goals[r.core_goals["core_code"] == core].iloc[0]
    core_id = int(row["core_goal_id"])

    cols = st.columns(3)
    cols[0].metric(
        f"Fortschritt {core}",
        fmt.percent(row["progress"]),
        help="Mittel der Ziele, gewichtet mit ihrem Beitrag an das Kernziel.",
    )
    contrib = snap.contributions[(snap.contributions["core_goal_id"] == core_id) & (snap.contributions["weight"] > 0)]
    serving = r.goals.merge(contrib[["goal_id", "weight"]], on="goal_id")
    serving = serving.merge(snap.fields[["field_id", "field_code", "field_name"]], on="field_id")
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
                # Whole percent as «Stand» rounds: the bar's label «%d» would cut the decimals off.
                "Fortschritt": serving["progress"].round(0),
                "Stand": [fmt.percent(p) for p in serving["progress"]],
            }
        ).sort_values(["Gewicht", "Aktionsfeld"], ascending=[False, True])
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "Fortschritt": st.column_config.ProgressColumn(
                    "Fortschritt", min_value=0, max_value=100, format="%d %%"
                ),
                "Wortlaut": st.column_config.TextColumn("Wortlaut", width="large"),
                "Gewicht": st.column_config.NumberColumn("Gewicht", help="keine 0, schwach 1, mittel 2, stark 3"),
            },
        )

    st.subheader("Aktionsfelder × Kernziele")
    left, right = st.columns(2)
    with left:
        st.markdown("**Fortschritt pro Feld und Kernziel**")
        st.plotly_chart(charts.field_core_bars(r.matrix), width="stretch", key="core_bars")
    with right:
        st.markdown("**Matrix (Beitrag und Fortschritt)**")
        st.plotly_chart(charts.field_core_heatmap(r.matrix, short_labels=True), width="stretch", key="core_heatmap")


core_goals()
