"""The baseline for the overview benchmark: an empty Streamlit page."""

import streamlit as st

st.title("Leer")
