"""The dashboard's pages, listed explicitly (st.navigation does not discover them).

(file, German title, icon, URL path, sidebar choices); each role starts on its own page
(tracking.access.START_PAGES). The sidebar choices are rendered by the entry script, because only
widgets of the entry script keep their value in the URL on a fresh load.
"""

PAGES: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("pages/tasks.py", "Meine Aufgaben", ":material/task_alt:", "aufgaben", ()),
    ("pages/overview.py", "Übersicht", ":material/dashboard:", "uebersicht", ()),
    ("pages/action_fields.py", "Aktionsfelder", ":material/category:", "aktionsfelder", ("field",)),
    ("pages/core_goals.py", "Kernziele", ":material/target:", "kernziele", ("core_goal",)),
    ("pages/measures.py", "Massnahmen", ":material/checklist:", "massnahmen", ("measure",)),
    ("pages/departments.py", "Departemente", ":material/account_balance:", "departemente", ("department",)),
    ("pages/status_report.py", "Statusbericht", ":material/upload_file:", "statusbericht", ()),
    ("pages/council.py", "Sitzungsbericht", ":material/co_present:", "sitzungsbericht", ()),
    ("pages/administration.py", "Verwaltung", ":material/settings:", "verwaltung", ()),
]
