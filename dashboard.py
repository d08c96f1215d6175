"""Streamlit entry: page frame, shared sidebar, navigation."""

import streamlit as st

from pages import PAGES, shared

st.set_page_config(page_title="Monitoring Digitaler Wandel", page_icon="📊", layout="wide")

navigation = st.navigation(
    [
        st.Page(path, title=title, icon=icon, url_path=url, default=i == 0)
        for i, (path, title, icon, url) in enumerate(PAGES)
    ]
)
st.sidebar.markdown("**Strategie «Digitaler Wandel»**  \nKanton Luzern")
facts = shared.store_facts()
if facts["strategy"] is None:
    st.error(
        "Die Datenbank ist leer. Bitte zuerst die Strategie laden: "
        "`python -m tracking init` (mit `--demo` für Demodaten) oder `make run`."
    )
    st.stop()
shared.period_picker()
shared.user_field()
shared.banners()
navigation.run()
