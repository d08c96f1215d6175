"""Streamlit entry: page frame, sign-in, shared sidebar, navigation."""

import streamlit as st

from pages import PAGES, auth, data, sidebar, sign_in, widgets
from pages.text import md_text
from tracking.access import can_see, start_page
from tracking.errors import TrackingError

st.set_page_config(page_title="Monitoring Digitaler Wandel", page_icon="📊", layout="wide")
widgets.german_widgets()
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


def navigation_pages(actor) -> dict[str, st.Page]:
    """Every page, the ones the actor may not see (all, before sign-in) hidden: a link to such a
    page (an e-mail, a bookmark) then gets a German answer, not Streamlit's English «Page not
    found». The role's start page (tracking.access.start_page) is served at «/» but reserves its
    own pathname, so it gets one nobody links to, and a hidden twin answers at its address."""
    start = start_page(actor)
    pages = {
        url: st.Page(
            path,
            title=title,
            icon=icon,
            url_path="startseite" if url == start else url,
            default=url == start,
            visibility="visible" if can_see(actor, url) else "hidden",
        )
        for path, title, icon, url, _ in PAGES
    }
    # Same script, own address: the switch to «/» would drop the link's filters (?periode=…).
    path, title, icon, url, _ = next(page for page in PAGES if page[3] == start)
    alias = st.Page(path, title=title, icon=icon, url_path=url, visibility="hidden")
    return {**pages, "": alias}


actor = auth.signed_in()
pages = navigation_pages(actor)
if actor is None:
    # Resolve the requested page, so that its URL and filters survive, but show the sign-in.
    st.navigation(list(pages.values()), position="hidden")
    widgets.banners()
    auth.hand_over_cookie()
    sign_in.sign_in_page()
    st.stop()

navigation = st.navigation(list(pages.values()))
auth.hand_over_cookie()
url = next(u for u, page in pages.items() if page is navigation)
allowed = not url or can_see(actor, url)
st.sidebar.markdown("**Strategie «Digitaler Wandel»**  \nKanton Luzern")
sidebar.period_picker()
sidebar.sidebar_choices(next((c for _, _, _, u, c in PAGES if u == url and allowed), ()))
auth.identity_box(actor)
widgets.banners()
if not allowed:
    st.warning(
        f"Die Seite «{navigation.title}» ist für Ihre Rolle ({actor.role_label}) nicht freigegeben.",
        icon=":material/lock:",
    )
    st.page_link(pages["uebersicht"], label="Zur Übersicht", icon=":material/dashboard:")
    st.stop()
navigation.run()
data.release_memory()
