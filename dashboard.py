"""Streamlit entry: page frame, sign-in, shared sidebar, navigation."""

import streamlit as st

from pages import PAGES, auth, data, sidebar, sign_in, widgets
from pages.text import md_text
from tracking.access import can_see
from tracking.errors import TrackingError

st.set_page_config(page_title="Monitoring Digitaler Wandel", page_icon="📊", layout="wide")
try:
    data.follow_writes()
    facts = data.store_facts()
except TrackingError as exc:  # e.g. a DATABASE_URL of a kind not supported: the German message, no traceback
    st.error("  \n".join(md_text(message) for message in exc.messages))
    st.stop()
if facts.strategy is None:
    st.error(
        "Die Datenbank ist leer. Bitte zuerst die Strategie laden: "
        "`python -m tracking init` (mit `--demo` für Demodaten) oder `make run`."
    )
    st.stop()

actor = auth.signed_in()
if actor is None:
    # Resolve the requested page, so that its URL and filters survive, but show the sign-in.
    st.navigation(
        [st.Page(path, title=title, url_path=url, default=i == 0) for i, (path, title, _, url, _) in enumerate(PAGES)],
        position="hidden",
    )
    widgets.banners()
    sign_in.sign_in_page()
    st.stop()

pages = {
    url: st.Page(path, title=title, icon=icon, url_path=url, default=i == 0)
    for i, (path, title, icon, url, _) in enumerate(PAGES)
    if can_see(actor, url)
}
navigation = st.navigation(list(pages.values()))
choices = next(c for _, _, _, url, c in PAGES if url in pages and pages[url].url_path == navigation.url_path)
st.sidebar.markdown("**Strategie «Digitaler Wandel»**  \nKanton Luzern")
sidebar.period_picker()
sidebar.sidebar_choices(choices)
auth.identity_box(actor)
widgets.banners()
navigation.run()
data.release_memory()
