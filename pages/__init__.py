"""The dashboard's pages, listed explicitly (st.navigation does not discover them).

(file, German title, icon, URL path); the first one is the start page.
"""

PAGES: list[tuple[str, str, str, str]] = [
    ("pages/overview.py", "Übersicht", ":material/dashboard:", "uebersicht"),
    ("pages/status_report.py", "Statusbericht", ":material/upload_file:", "statusbericht"),
]
