"""bench_pages finds every page of the app (discovery only: no browser, no timings)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def bench_pages() -> ModuleType:
    path = ROOT / "benchmarks" / "bench_pages.py"
    spec = importlib.util.spec_from_file_location("bench_pages", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the classes are built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_discovery_finds_every_page_of_the_app() -> None:
    app = ROOT / "app" / "streamlit_app.py"
    pages = bench_pages().discover_pages(app)
    assert len(pages) == len(re.findall(r"\bst\.Page\(", app.read_text()))
    assert [p.url_path for p in pages].count("") == 1, "exactly one default page, served at /"
    assert len({p.url_path for p in pages}) == len(pages)
    for page in pages:
        assert (app.parent / page.script).is_file(), page
    assert {"review", "capacity", "savings", "data"} <= {p.url_path for p in pages}


def test_discovery_follows_streamlits_url_rules(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import streamlit as st\n"
        "pages = [\n"
        '    st.Page("p/01_cost_summary.py", title="Summary", default=True),\n'
        '    st.Page("p/forecast.py", title="Forecast"),\n'
        '    st.Page(page="p/2_other_page.py"),\n'
        '    st.Page("p/x.py", title="X", url_path="/custom/"),\n'
        "]\n"
    )
    pages = bench_pages().discover_pages(app)
    assert [(p.title, p.url_path) for p in pages] == [
        ("Summary", ""),
        ("Forecast", "forecast"),
        ("other page", "other_page"),
        ("X", "custom"),
    ]


def test_every_section_of_a_sectioned_page_is_measured() -> None:
    """Capacity and Savings show one section at a time: each further section is measured as a
    page of its own, by its link."""
    bench = bench_pages()
    pages = bench.with_sections(bench.discover_pages(ROOT / "app" / "streamlit_app.py"))
    paths = [p.url_path for p in pages]
    for sectioned in ("capacity?cap_section=Runway", "savings?sv_section=Commitments"):
        assert sectioned in paths
    assert "savings?sv_section=Stated+plan" in paths
    assert not any("Quarterly" in p or "Levers" in p for p in paths)  # defaults: the pages
