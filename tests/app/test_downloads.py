"""Downloads are written when clicked: a page's run writes none of its CSVs (nor the review's
zip), and what a click writes is the table the page shows (tests/e2e download them)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import downloads, widgets
from forecasting import export
from forecasting.errors import CapcostError


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


def test_a_download_that_fails_says_why_on_the_page_until_one_is_made(
    app_at: Callable[[str | None], AppTest],
    demo_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The review pack's builder raises when the database cannot be read as it is clicked:
    streamlit's own note under the button lasts 5 s, so the page says why in a line it keeps
    until a later click makes the file; each change of what to say asks for a rerun."""
    reruns: list[str | None] = []
    monkeypatch.setattr(downloads, "rerun", reruns.append)
    at = app_at("app_pages/review.py")
    assert not at.exception, at.exception
    made = at.session_state["download: Download the review pack (Excel)"]
    assert isinstance(made, downloads.Made) and made.error is None
    gone = tmp_path / "moved.duckdb"
    monkeypatch.setenv("CAPCOST_DB", str(gone))  # the file moved away as the click comes
    assert isinstance(clicked(made), CapcostError)  # raised: nothing downloads
    assert reruns == [made.session_id]  # the page is asked to show why
    monkeypatch.setenv("CAPCOST_DB", str(demo_db))
    at.run()
    assert not at.exception, at.exception
    lines = [e.value for e in at.error if "was not made" in e.value]
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert lines[0].startswith("cost_review_") and ".xlsx was not made: " in lines[0]
    assert f"was not made: no database at {gone}" in lines[0], lines[0]
    at.run()  # kept on a rerun that is not a click
    assert [e.value for e in at.error if "was not made" in e.value] == lines
    pack = clicked(made)
    assert isinstance(pack, bytes) and pack[:2] == b"PK"  # an xlsx is a zip
    assert len(reruns) == 2  # the line no longer holds: rerun once to take it away
    assert isinstance(clicked(made), bytes) and len(reruns) == 2  # nothing to change
    at.run()
    assert not [e.value for e in at.error if "was not made" in e.value]


def clicked(made: downloads.Made) -> bytes | Exception:
    """What a click runs, on a thread of its own as streamlit runs it (no script context)."""
    out: list[bytes | Exception] = []

    def run() -> None:
        try:
            out.append(made.request())
        except Exception as exc:
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    return out[0]


def test_a_reason_is_one_line() -> None:
    assert downloads.reason(ValueError("bad row\n  traceback-ish detail")) == "bad row"
    assert downloads.reason(KeyError()) == "KeyError"


def test_no_rerun_is_asked_of_a_session_that_is_not_served() -> None:
    downloads.rerun(None)  # under AppTest or a closed tab: nothing to do, nothing raised
    downloads.rerun("no-such-session")
