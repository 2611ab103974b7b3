"""capcost's entry point: navigation, shared sidebar and session defaults; nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run app/streamlit_app.py` puts app/ on sys.path, not the repository root.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import state  # noqa: E402

st.set_page_config(page_title="capcost", page_icon=":material/monitoring:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/forecast.py", title="Forecast", icon=":material/trending_up:"),
    st.Page("app_pages/capacity.py", title="Capacity", icon=":material/dns:"),
    st.Page("app_pages/savings.py", title="Savings", icon=":material/savings:"),
    st.Page("app_pages/review.py", title="Cost review", icon=":material/fact_check:"),
    st.Page("app_pages/data.py", title="Data", icon=":material/database:"),
]

navigation = st.navigation(PAGES)
with st.sidebar:
    st.caption(f"Database: `{state.db_path()}`")
navigation.run()
