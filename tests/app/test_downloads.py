"""Downloads are written when clicked: a page's run writes none of its CSVs (nor the review's
zip), and what a click writes is the table the page shows (tests/e2e download them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import widgets
from forecasting import export


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    written: list[str] = []

    def csv(frame: pd.DataFrame) -> bytes:
        written.append("csv")
        return b""

    def zipped(tables: Any) -> bytes:
        written.append("zip")
        return b""

    monkeypatch.setattr(widgets, "to_csv_bytes", csv)
    monkeypatch.setattr(export, "zip_csvs", zipped)
    return written


# Quick, deterministic forecasts: these tests count what a run writes, not the models.
FAST = {
    f"{prefix}_{k}": v
    for prefix in ("cap", "sv")
    for k, v in {"model": "drift", "paths": 200, "seed": 1}.items()
}


@pytest.mark.parametrize(
    ("page", "section", "buttons"),
    [
        ("app_pages/review.py", None, 2),
        ("app_pages/overview.py", None, 1),
        ("app_pages/forecast.py", None, 2),
        ("app_pages/capacity.py", ("cap_section", "plan"), 1),
        ("app_pages/capacity.py", ("cap_section", "runway"), 1),
        ("app_pages/savings.py", ("sv_section", "levers"), 1),
        ("app_pages/savings.py", ("sv_section", "commitments"), 1),
        ("app_pages/savings.py", ("sv_section", "stated"), 1),
    ],
)
def test_a_page_run_writes_no_download(
    app_at: Callable[[str | None], AppTest],
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    section: tuple[str, str] | None,
    buttons: int,
) -> None:
    """Every page (each section of a sectioned one) with downloads: its runs write none,
    and its buttons download without rerunning the page."""
    written = counting(monkeypatch)
    at = app_at(None)
    for key, value in FAST.items():
        at.session_state[key] = value
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    if section is not None:
        key, value = section
        at.segmented_control(key=key).set_value(value).run()
        assert not at.exception, at.exception
    assert len(at.get("download_button")) >= buttons
    # A click downloads without a rerun: a rerun registered the button under a new file
    # id and dropped the clicked one, so a click served after it failed to download.
    assert all(b.proto.ignore_rerun for b in at.get("download_button"))
    at.run()  # a rerun (a widget elsewhere) writes none either
    assert written == []


def test_a_clicked_download_writes_the_frame_or_what_its_export_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[Any] = []

    class Where:
        def download_button(self, label: str, data: Any, **kwargs: Any) -> None:
            made.append(data)

    frame = pd.DataFrame({"quarter": ["2026Q4"], "cost": [1234.5]})
    widgets.download("CSV", frame, "a.csv", where=Where())
    widgets.download("CSV", lambda: frame, "b.csv", where=Where())
    assert all(callable(d) for d in made)
    assert [d() for d in made] == [export.to_csv_bytes(frame)] * 2
