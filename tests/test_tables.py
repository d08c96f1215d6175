"""Reading big tables row by row (tracking.tables.rows_of) gives what itertuples gives."""

import datetime as dt
import math

import pandas as pd
import pytest

from tracking.tables import rows_of

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only


def test_rows_of_gives_the_rows_of_itertuples():
    frame = pd.DataFrame(
        {
            "code": ["M-1", "M-2", None],
            "progress": [10.0, float("nan"), 55.5],
            "count": [1, 2, 3],
            "flag": [True, False, True],
            "end": [dt.date(2026, 12, 31), None, dt.date(2027, 6, 30)],
        }
    )
    got = list(rows_of(frame))
    assert tuple(got[0]) == ("M-1", 10.0, 1, True, dt.date(2026, 12, 31))
    assert got[1].code == "M-2" and math.isnan(got[1].progress) and got[1].end is None
    assert got[2].flag is True and got[2].count == 3 and not isinstance(got[2].code, str)
    expected = list(frame.itertuples(index=False))
    assert [r._fields for r in got] == [r._fields for r in expected]
    for mine, theirs in zip(got, expected):
        for a, b in zip(mine, theirs):
            assert a == b or (pd.isna(a) and pd.isna(b))


def test_rows_of_an_empty_table_is_empty():
    assert list(rows_of(pd.DataFrame(columns=["code", "title"]))) == []


def test_rows_of_a_table_with_german_headings_keeps_every_value():
    frame = pd.DataFrame(
        {"Geplantes Ende": ["31.12.2026"], "Begründung / Kommentar": ["Lieferverzug"], "Code": ["M-1"]}
    )
    assert [tuple(r) for r in rows_of(frame)] == [("31.12.2026", "Lieferverzug", "M-1")]
