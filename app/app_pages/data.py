"""Data: each source's freshness, data-quality warnings, an upload box and the ingest runs."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from app import state, widgets
from forecasting.errors import CapcostError
from forecasting.ingest.metrics.helpers import parse_dimensions
from forecasting.interface import Excuse
from forecasting.presentation import header


def refreshing() -> str:
    """Start refreshing the stored forecasts after a write; the sentence that says so."""
    if state.start_refresh() is None:
        return ""
    return " The stored forecasts are being refreshed in the background (`capcost refresh`)."


st.title("Data")
if notice := st.session_state.pop("data_notice", None):
    st.success(notice, icon=":material/check_circle:")
status = state.data()
if not widgets.excused(status):
    st.subheader("Sources")
    st.caption("Last day with data and rows stored per source; the last run's outcome.")
    widgets.readable(status.freshness)

    st.subheader("Data quality")
    if not status.warnings:
        st.success("No gaps, doubled days, mixed currencies, negative usage or uncategorised cost.")
    for warning in status.warnings:
        check = header(warning.check)  # "gaps" -> "Gaps": the check in words
        st.warning(f"**{check}**: {warning.message}", icon=":material/warning:")
        if not warning.examples.empty:
            with st.expander(f"Where: {check.lower()}"):
                widgets.readable(warning.examples)

st.subheader("Ingest a file")
kind = st.radio(
    "Kind of file",
    ["billing", "metric"],
    format_func=lambda k: {"billing": "Billing export (FOCUS or AWS CUR)", "metric": "Metric"}[k],
    horizontal=True,
)
upload = st.file_uploader("CSV, CSV.gz or Parquet", type=["csv", "gz", "parquet"])
options: dict[str, object] = {}
if kind == "metric":
    a, b, c = st.columns(3)
    options["metric"] = a.text_input("Metric name", placeholder="users")
    options["unit"] = b.text_input("Unit (new metrics)", placeholder="users")
    dims = c.text_input("Dimensions", placeholder="service=api, region=eu-west-1")
    d, e = st.columns(2)
    options["time_column"] = d.text_input("Time column (optional)")
    options["value_column"] = e.text_input("Value column (optional)")
st.caption(
    "Re-ingesting a billing period replaces it for that provider and billing account; the run "
    "is all or nothing, and a bad file names the row and column."
)
if st.button("Ingest", type="primary", disabled=upload is None) and upload is not None:
    bar = st.progress(0.0, text="starting")
    ctx = get_script_run_ctx()
    try:
        if kind == "metric":
            options["dimensions"] = parse_dimensions([p for p in dims.split(",") if p.strip()])
        result = state.ingest_upload(
            upload.name,
            upload.getvalue(),
            kind,
            progress=lambda fraction, message: bar.progress(fraction, text=message),
            thread_hook=lambda thread: add_script_run_ctx(thread, ctx),
            **options,
        )
    except CapcostError as exc:
        bar.empty()
        st.error(str(exc), icon=":material/error:")
    else:
        # Rerun so that the tables above show the new data.
        st.session_state["data_notice"] = (
            f"Run {result.run_id}: {result.rows:,} rows stored from {upload.name}." + refreshing()
        )
        st.rerun()

st.subheader("Pull from AWS")
st.caption(
    "Runs the same pull as `capcost ingest`, on boto3's default credential chain (environment, "
    "~/.aws/config, SSO, instance role); credentials are never stored. The run is all or nothing."
)
p1, p2, p3 = st.columns([2, 2, 1], vertical_alignment="bottom")
source = p1.selectbox("Source", list(state.PULLS), format_func=state.PULLS.__getitem__)
# ISO order: unambiguous for every reader (streamlit's default reads "2026/11/18").
since = p2.date_input(
    "From", value=date.today() - timedelta(days=14), max_value=date.today(), format="YYYY-MM-DD"
)
st.code(state.cron_line(source), language="bash", wrap_lines=True)  # read whole, not scrolled
st.caption("The cron line that keeps this source fresh (daily at 06:30 UTC).")
st.code(state.refresh_cron_line(), language="bash", wrap_lines=True)
st.caption(
    "The cron line that refreshes the stored forecasts the pages open on (each pull and upload "
    "refreshes them too; this one catches a new day and files loaded by other means)."
)
if p3.button("Pull", icon=":material/cloud_download:"):
    bar = st.progress(0.0, text=f"Starting the {state.PULLS[source]} pull")
    try:
        pulled = state.run_pull(
            source, since, lambda fraction, text: bar.progress(min(fraction, 1.0), text=text)
        )
    except CapcostError as exc:
        bar.empty()
        st.error(f"{state.PULLS[source]} pull failed: {exc}", icon=":material/error:")
    else:
        st.session_state["data_notice"] = (
            f"Run {pulled.run_id}: {pulled.rows:,} rows stored from {state.PULLS[source]}."
            + refreshing()
        )
        st.rerun()

if not isinstance(status, Excuse):
    st.subheader("Ingest runs")
    runs = status.runs
    if runs.empty:
        st.caption("No ingest has run yet.")
    else:
        columns = ["run_id", "source", "status", "rows", "started_at", "finished_at", "error"]
        widgets.readable(runs[columns])
