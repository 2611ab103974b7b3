"""app.memo: a figure or table made once per content of its arguments, never served for
other arguments or other code."""

from __future__ import annotations

import pickle

import pandas as pd

from app import memo


def test_equal_content_is_made_once_and_a_change_is_made_afresh() -> None:
    memo.clear()
    calls: list[int] = []

    def build(frame: pd.DataFrame, title: str = "") -> tuple[int, str]:
        calls.append(1)
        return len(frame), title

    frame = pd.DataFrame(
        {
            "quarter": ["2026Q4", "2027Q1"],
            "cost": [17_035.5, 18_000.25],
            "ds": pd.to_datetime(["2026-10-01", "2027-01-01"]),
        }
    )
    # A frame read back from a cache pickles differently from the one made: equal content.
    copy = pickle.loads(pickle.dumps(frame))
    assert memo.made(build, frame, title="a") == memo.made(build, copy, title="a") == (2, "a")
    assert len(calls) == 1
    memo.made(build, frame.assign(cost=[17_035.5, 18_000.5]), title="a")
    memo.made(build, frame, title="b")
    memo.made(build, frame.rename(columns={"cost": "spend"}), title="a")
    assert len(calls) == 4


def test_other_code_of_the_same_name_is_not_served() -> None:
    memo.clear()

    def build(x: int) -> int:
        return x + 1

    first = build

    def build(x: int) -> int:  # type: ignore[no-redef]  # a page script edited and rerun
        return x + 2

    assert memo.made(first, 1) == 2 and memo.made(build, 1) == 3


def test_arguments_that_cannot_be_pickled_are_built_each_time() -> None:
    memo.clear()
    calls: list[int] = []

    def build(f: object) -> int:
        calls.append(1)
        return 0

    memo.made(build, lambda: 1)
    memo.made(build, lambda: 1)
    assert len(calls) == 2


def test_only_the_last_kept_are_kept() -> None:
    memo.clear()
    for i in range(memo.KEPT + 5):
        memo.made(str, i)
    assert len(memo._MADE) == memo.KEPT
