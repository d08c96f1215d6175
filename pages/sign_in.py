"""Anmelden: local account, single sign-on, or (with demo data only) a demo role.

Not a page of its own: the entry script shows it in place of whatever page
was asked for, so a shared link opens that page right after signing in.
"""

import streamlit as st

from pages import auth, data
from tracking.access import ROLES, Actor
from tracking.formatting import count
from tracking.public import page_enabled
from tracking.users import SignInFailed, authenticate, has_admin, session_minutes


def local_form() -> None:
    with st.form("anmeldung"):
        username = st.text_input("Benutzername", autocomplete="username")
        password = st.text_input("Passwort", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Anmelden", type="primary")
    if not submitted:
        return
    error = None
    # The failed attempt is counted in the same transaction, which commits.
    with data.write_transaction() as session:
        try:
            actor = authenticate(session, username, password)
        except SignInFailed as exc:
            error = " ".join(exc.messages)
    if error:
        st.error(error)
        return
    auth.sign_in(actor, remember=True)
    st.rerun()


def demo_form() -> None:
    snap = data.structure()
    st.subheader("Demo ohne Passwort")
    st.caption("Nur solange Demodaten geladen sind: eine Rolle wählen und das Werkzeug ausprobieren.")
    role = st.radio("Rolle", list(ROLES), format_func=ROLES.get, horizontal=True, key="demo_rolle")
    fields: list[str] = []
    departments: list[str] = []
    home = None
    if role == "koordination":
        fields = st.multiselect(
            "Aktionsfelder", list(snap.fields["field_code"]), default=["AF5"], key="demo_felder", placeholder="keine"
        )
        departments = st.multiselect(
            "Departemente", list(snap.departments["department_code"]), key="demo_departemente", placeholder="keine"
        )
    elif role == "departementsleitung":
        home = st.selectbox("Departement", list(snap.departments["department_code"]), key="demo_departement")
    if st.button("Demo starten", icon=":material/play_arrow:"):
        if role == "koordination" and not (fields or departments):
            st.error("Eine Koordination braucht mindestens ein Aktionsfeld oder Departement.")
            return
        auth.sign_in(
            Actor(
                name=f"Demo {ROLES[role]}",
                role=role,
                fields=frozenset(fields),
                departments=frozenset(departments),
                home_department=home,
            ),
            remember=True,
        )
        st.rerun()


FIRST_ADMIN_HINT = (
    "**Für den Betrieb:** Es gibt noch kein Administrationskonto. Legen Sie es auf dem Server im "
    "Projektordner an:  \n"
    '`.venv/bin/python -m tracking users add admin --role admin --name "Vorname Name" --password-stdin`  \n'
    "Das Passwort wird danach eingegeben. Danach verschwindet dieser Hinweis."
)


def sign_in_page() -> None:
    st.title("Anmelden")
    st.caption("Monitoring der Strategie «Digitaler Wandel» des Kantons Luzern")
    if st.session_state.get(auth.EXPIRED_KEY):
        minutes = count(session_minutes(), "Minute", "Minuten")
        st.info(f"Ihre Sitzung ist nach {minutes} ohne Aktivität abgelaufen. Bitte neu anmelden.")
    if message := st.session_state.pop(auth.SIGNED_OUT_KEY, None):
        st.warning(message, icon=":material/person_off:")
    if message := st.session_state.pop("sso_fehler", None):
        st.error(message)
    facts = data.store_facts()
    left, right = st.columns(2)
    with left:
        st.subheader("Mit Benutzerkonto")
        if auth.sso_configured():
            st.button("Mit Single Sign-on anmelden", on_click=st.login, icon=":material/login:")
            st.caption("oder mit einem lokalen Konto:")
        local_form()
        # Only a fresh installation needs the hint, and it speaks to whoever runs the server: a
        # demo, or a database with an administrator, keeps it from every other visitor.
        if not facts.demo:
            with data.read() as session:
                admin_exists = has_admin(session)
            if not admin_exists:
                st.info(FIRST_ADMIN_HINT, icon=":material/admin_panel_settings:")
    with right:
        if facts.demo:
            demo_form()
    if page_enabled():
        # Citizens who land here need no account: the public page shows the state of the strategy.
        st.markdown("Ohne Anmeldung: [Stand der Umsetzung für die Öffentlichkeit](/oeffentlich)")
