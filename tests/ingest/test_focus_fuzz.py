"""Random damage to the real FOCUS sample: an ingest either stores it or refuses it with an
InputError, never a traceback, and a refused file leaves every table as it was (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.errors import CapcostError
from forecasting.ingest.focus import load_focus
from forecasting.store import Store
from tests.conftest import SHARED_DATA, table_checksums
from tests.ingest import billing_fixtures as fx

SAMPLE = SHARED_DATA / "focus" / "focus_sample.csv"
pytestmark = pytest.mark.skipif(
    not SAMPLE.is_file(), reason=f"{SAMPLE} is absent (the real data ships beside the repository)"
)
# Bytes that break CSV structure or encoding, beside any byte at all.
NASTY = st.sampled_from([b'"', b"\r", b"\n", b",", b"\xff", b"\x00", b"\xe9", b"*"])
BYTE = st.one_of(NASTY, st.integers(0, 255).map(lambda b: bytes([b])))


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(SAMPLE.read_bytes())
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, len(data) - 1))
        data[position : position + 1] = draw(BYTE)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    tmp = tmp_path_factory.mktemp("fuzz")
    store = Store()
    load_focus(store, [fx.write_csv(fx.focus_rows(), tmp / "good.csv", fx.FOCUS_HEADER)])
    return store


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same cases every run; a failure reproduces
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=damaged())
def test_damaged_sample_is_stored_or_refused_cleanly(
    store: Store, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    before = table_checksums(store, exclude=("ingest_runs",))
    try:
        load_focus(store, [path])
    except CapcostError as exc:
        assert "\n" not in str(exc), str(exc)  # one line
        assert table_checksums(store, exclude=("ingest_runs",)) == before
    # A success replaces the sample's billing periods, which is what an ingest does.
