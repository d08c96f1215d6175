"""Streamlit entry: page frame, shared sidebar, navigation."""

import streamlit as st

from pages import shared

st.set_page_config(page_title="Monitoring Digitaler Wandel", page_icon="📊", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Übersicht", icon="🏠", default=True, url_path="uebersicht"),
]

navigation = st.navigation(PAGES)
st.sidebar.markdown("**Strategie «Digitaler Wandel»**  \nKanton Luzern")
facts = shared.store_facts()
if facts["strategy"] is None:
    st.error(
        "Die Datenbank ist leer. Bitte zuerst die Strategie laden: "
        "`python -m tracking init` (mit `--demo` für Demodaten) oder `make run`."
    )
    st.stop()
shared.period_picker()
shared.banners()
navigation.run()
