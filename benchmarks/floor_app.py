"""The framework's floor: a minimal Streamlit page that draws one plotly chart (bench_pages)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
st.title("Floor")
# A year of daily points, about what one capcost chart draws; fixed so every load is the same.
days = pd.date_range("2025-01-01", periods=365, freq="D")
values = 1000 + np.cumsum(np.random.default_rng(7).normal(0, 10, len(days)))
st.plotly_chart(go.Figure(go.Scatter(x=days, y=values, mode="lines")), width="stretch")
