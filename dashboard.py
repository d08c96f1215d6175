"""Streamlit entry: page frame, shared sidebar, navigation."""

import streamlit as st

from pages import PAGES, shared

st.set_page_config(page_title="Monitoring Digitaler Wandel", page_icon="📊", layout="wide")

pages = {
    url: st.Page(path, title=title, icon=icon, url_path=url, default=i == 0)
    for i, (path, title, icon, url, _) in enumerate(PAGES)
}
navigation = st.navigation(list(pages.values()))
choices = next(c for _, _, _, url, c in PAGES if pages[url].url_path == navigation.url_path)
st.sidebar.markdown("**Strategie «Digitaler Wandel»**  \nKanton Luzern")
facts = shared.store_facts()
if facts["strategy"] is None:
    st.error(
        "Die Datenbank ist leer. Bitte zuerst die Strategie laden: "
        "`python -m tracking init` (mit `--demo` für Demodaten) oder `make run`."
    )
    st.stop()
shared.period_picker()
shared.sidebar_choices(choices)
shared.user_field()
shared.banners()
navigation.run()
