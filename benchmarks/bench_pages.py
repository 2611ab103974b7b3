"""Page speed in a real browser: each capcost page beside a minimal one-chart Streamlit page.

    python benchmarks/bench_pages.py [--quick] [--big-rows N] [--repeat N] [--changes N]
                                     [--only review,forecast] [--budget MINUTES]

For every `st.Page` in app/streamlit_app.py (and each further section of a page that shows one
section at a time, by its link: /capacity?cap_section=Runway), on the demo database and on one
with 10M cost line items (built once, cached in benchmarks/.cache/), both refreshed as the
writers leave them (`capcost refresh`: the pages read stored forecasts), Debian's chromium
(Playwright) times each page from navigation to its last chart drawn: the first visit after the
server started (a fresh server and browser, caches empty) beside the floor's first visit on a
fresh server of its own started just before, and warm (the median of repeat loads, each a new
session), interleaved with loads of benchmarks/floor_app.py. Then, on the same server, the
median time from a widget change to the chart's new data, or to the run's end when no chart
changes (the review's month; the forecast's horizon and level; the capacity and savings level
and assumption set; the savings base month), first to values not shown yet, then back to them.
Targets: each page's first visit within 2x the floor's first visit and its warm median within
1.5x the floor's, widget changes under 1 s median. Timings are printed with the load average
beside them (a busy machine slows everything: read the ratios), never asserted; the exit code
is 1 only when a page showed an exception or timed out.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "streamlit_app.py"
FLOOR = ROOT / "benchmarks" / "floor_app.py"
CACHE = ROOT / "benchmarks" / ".cache"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Both databases end on the same fixed day, so that the numbers compare from day to day and
# the cached 10M database never goes stale; the pages work relative to the data, not today.
UNTIL = date(2026, 11, 26)
PAGE_RATIO_TARGET = 1.5
FIRST_RATIO_TARGET = 2.0
SKIPPED = "skipped: time budget spent (--budget)"
CHANGE_TARGET_MS = 1000.0

# Counts the script runs that ended, as the browser saw them, and keeps when the first ended
# (before the charts are drawn: what is left after it is drawing in the browser).
RUN_END_JS = """window.__ends = 0;
new MutationObserver(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (app?.dataset.testScriptState === 'notRunning') {
    window.__ends += 1;
    window.__ran ??= performance.now();
  }
}).observe(document, {
  subtree: true, attributes: true, attributeFilter: ['data-test-script-state'],
});
"""
# True once a script run ended after the ``ends``-th and every chart that can be seen is
# drawn: no running indicator, spinner or lazy-loading placeholder left. Charts in a closed
# expander or a hidden tab are not waited for. Returns the ms since navigation, the charts.
DONE_JS = """({expected, ends}) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!(window.__ends > ends) || app?.dataset.testScriptState !== 'notRunning') return false;
  const error = document.querySelector('[data-testid="stException"]');
  if (error) return {ms: performance.now(), charts: 0, error: error.innerText.slice(0, 200)};
  const busy = '[data-testid="stSpinner"], [data-testid="stSkeleton"], '
    + '[data-testid="stStatusWidgetRunningIcon"]';
  if (document.querySelector(busy)) return false;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(c => !c.closest('details:not([open]), [hidden]'));
  if (charts.length < expected) return false;
  const drawn = c => {
    const svg = c.querySelector('.js-plotly-plot .main-svg');
    if (!svg) return false;
    const box = svg.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(svg).visibility !== 'hidden';
  };
  if (!charts.every(drawn)) return false;
  return {ms: performance.now(), charts: charts.length, error: null, ran: window.__ran ?? null};
}"""
# The data of every chart on the page (plotly keeps it on the graph div), to see a change.
CHART_DATA_JS = """() => JSON.stringify([...document.querySelectorAll('.js-plotly-plot')]
  .map(gd => (gd.data || []).map(t => [t.name, t.x, t.y, t.base, t.z])))"""
# After a widget change: the chart data changed, or a run ended first (it may not change).
CHANGED_JS = f"""({{before, ends}}) => {{
  if (({CHART_DATA_JS})() !== before) return {{changed: true, ms: performance.now()}};
  return window.__ends > ends && {{changed: false, ms: performance.now()}};
}}"""


@dataclass(frozen=True)
class PageSpec:
    """One `st.Page` entry: its title, the URL path streamlit serves it at, its script."""

    title: str
    url_path: str
    script: str


# The widgets a meeting steps through on each page, by label (case-insensitive substring;
# selectboxes and sliders), each measured: the review's month, the forecast's horizon and level,
# the capacity and savings band level and assumption set (the bench stores three sets), the
# savings base month.
WIDGETS = {
    "review": ("Month",),
    "forecast": ("Horizon", "Interval"),
    "capacity": ("Interval level", "Assumption set"),
    "savings": ("Interval level", "Assumption set", "Base month"),
}
# Assumption sets beside the demo's, so that the set picker has somewhere to go.
EXTRA_SETS = {"apex-headroom": 0.6, "apex-lean": 0.8}


@dataclass
class Timing:
    """Load or change times in ms (None: timed out), charts drawn, and the first error."""

    times: list[float | None] = field(default_factory=list)
    ran: list[float] = field(default_factory=list)
    charts: int = 0
    error: str | None = None

    def add(self, result: dict[str, Any] | None) -> None:
        if result is None:
            self.times.append(None)
            self.error = self.error or "timeout"
            return
        self.times.append(float(result["ms"]))
        if result.get("ran") is not None:
            self.ran.append(float(result["ran"]))
        self.charts = max(self.charts, int(result["charts"]))
        self.error = self.error or result["error"]

    def median(self) -> float | None:
        done = [t for t in self.times if t is not None]
        return statistics.median(done) if done and len(done) == len(self.times) else None


def discover_pages(app_file: Path = APP) -> list[PageSpec]:
    """Every `st.Page(...)` in the app's entry script, in source order, with its URL path."""
    from streamlit.source_util import page_icon_and_name

    calls = [
        node
        for node in ast.walk(ast.parse(app_file.read_text(), str(app_file)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "Page"
    ]
    pages = []
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        script = ast.literal_eval(call.args[0]) if call.args else kw["page"]
        # streamlit names a page after its file, minus any number prefix and icon; the
        # default page is served at the root.
        name = page_icon_and_name(Path(script))[1]
        url_path = "" if kw.get("default") else str(kw.get("url_path", name)).strip("/")
        pages.append(PageSpec(str(kw.get("title") or name.replace("_", " ")), url_path, script))
    return pages


# Pages that show one section at a time: the URL parameter naming the section, and the
# sections (the first is the page's default, measured as the page itself).
SECTIONED = {"capacity": "cap_section", "savings": "sv_section"}


def with_sections(pages: list[PageSpec]) -> list[PageSpec]:
    """Each page, then each further section of a sectioned page, as a page of its own."""
    from forecasting.views import capacity, savings

    sections = {"capacity": capacity.SECTIONS, "savings": savings.SECTIONS}
    out = []
    for page in pages:
        out.append(page)
        key = SECTIONED.get(page.url_path)
        for code, title in list(sections.get(page.url_path, {}).items())[1:]:
            url = f"{page.url_path}?{urllib.parse.urlencode({key: title})}"
            out.append(PageSpec(f"{page.title}: {code}", url, page.script))
    return out


# -- databases -------------------------------------------------------------------------------
def capcost(*args: object) -> None:
    """Run the capcost CLI (as `python -m`, so it works whether or not the script is installed)."""
    cmd = [sys.executable, "-m", "forecasting.cli", *map(str, args)]
    env = {**os.environ, "CAPCOST_REFRESH": "1" if REFRESH else "0"}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed:\n{done.stdout}{done.stderr}")


def demo_database(tmp: Path, built: Path | None = None) -> Path:
    """The demo to UNTIL: built here, or a copy of ``built`` (--demo-db: one built before to
    UNTIL), refreshed either way."""
    path = tmp / "demo.duckdb"
    if built is not None:
        shutil.copyfile(built, path)
        return prepared(path)
    capcost("demo", "--db", path, "--until", UNTIL)  # refreshes the stored forecasts after
    return prepared(path)


REFRESH = True
"""False (--no-refresh): leave the stored forecasts out, as a capcost before them did."""


def prepared(path: Path) -> Path:
    """The database with the bench's extra assumption sets, refreshed (a no-op when current)."""
    from forecasting.store import Store

    with Store(path) as store:
        have = set(store.assumption_set_names())
        base = store.load_assumptions("apex-capacity")
        for name, target in EXTRA_SETS.items():
            if name not in have:
                store.save_assumptions(name, {**base, "target_cpu_utilisation": target}, "bench")
    if REFRESH:
        capcost("refresh", "--db", path)
    return path


def big_database(rows: int, resources: int = 5000) -> Path:
    """The demo plus ``rows`` generated FOCUS line items over its last 13 months (cached)."""
    path = CACHE / f"pages-{rows}-{resources}-{UNTIL}.duckdb"
    if path.exists():
        return prepared(path)
    import bench_ingest  # beside this file: its generator makes the FOCUS export

    started = time.perf_counter()
    export = bench_ingest.export_file(rows, resources)
    tmp = path.with_name(path.name + ".tmp")
    # ingest tells the format from the name
    shifted = path.with_name(path.stem + "-shifted.tmp.parquet")
    try:
        capcost("demo", "--db", tmp, "--until", UNTIL)
        shift_export(export, shifted, UNTIL)
        capcost("ingest", "focus", "--db", tmp, shifted)
        tmp.rename(path)
    finally:
        for leftover in (tmp, Path(f"{tmp}.wal"), shifted):
            leftover.unlink(missing_ok=True)
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return prepared(path)


def shift_export(src: Path, dest: Path, until: date) -> None:
    """Move the generated export (which starts in 2024) so that it ends on ``until``, billing
    periods recomputed, so the 10M line items fall in the months the pages look at."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    last = con.execute("SELECT max(ChargePeriodStart) FROM read_parquet(?)", [str(src)])
    days = (until - last.fetchall()[0][0].date()).days
    shifted = (
        "SELECT * REPLACE (ChargePeriodStart + to_days($days) AS ChargePeriodStart, "
        "ChargePeriodEnd + to_days($days) AS ChargePeriodEnd, "
        "date_trunc('month', ChargePeriodStart + to_days($days)) AS BillingPeriodStart, "
        "date_trunc('month', ChargePeriodStart + to_days($days)) + INTERVAL 1 MONTH "
        "AS BillingPeriodEnd) FROM read_parquet($src)"
    )
    con.sql(shifted, params={"days": days, "src": str(src)}).write_parquet(str(dest))
    con.close()


# -- servers and browser ---------------------------------------------------------------------
PORTS: range | None = None
"""--ports: the loopback ports the servers may take (None: any free one)."""
_TAKEN: list[int] = []


def free_port() -> int:
    """A free loopback port; with PORTS (agents sharing a machine each keep to a range of
    their own) the next free one after the last handed out, since a server started a moment
    ago may not have bound its port yet."""
    after = [p for p in PORTS or [] if p > (_TAKEN[-1] if _TAKEN else -1)]
    for port in [*after, *(p for p in PORTS or [] if p not in after)] if PORTS else [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _TAKEN.append(int(sock.getsockname()[1]))
            return _TAKEN[-1]
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}" if PORTS else "no port")


@contextlib.contextmanager
def serve(script: Path, db: Path, log: Path) -> Iterator[str]:
    """A streamlit server for ``script`` on a free loopback port; stopped on exit."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    cmd += ["--browser.gatherUsageStats", "false"]
    env = {**os.environ, "CAPCOST_DB": str(db)}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        # Its own session: stopping the group stops only this server and what it started.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit did not start at {url}; see {log}")


def load(context: Any, url: str, expected: int, timeout_s: float) -> dict[str, Any] | None:
    """Open ``url`` in a new tab (a new session) and wait for DONE_JS; None on timeout."""
    page = context.new_page()
    try:
        return open_page(page, url, expected, timeout_s)
    finally:
        page.close()


def open_page(page: Any, url: str, expected: int, timeout_s: float) -> dict[str, Any] | None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        done = page.wait_for_function(
            DONE_JS, arg={"expected": expected, "ends": 0}, polling="raf", timeout=timeout_s * 1000
        )
    except PlaywrightTimeout:
        return None
    result: dict[str, Any] = done.json_value()
    return result


# -- measurements ----------------------------------------------------------------------------
@dataclass
class Row:
    page: PageSpec
    database: str
    cold: Timing = field(default_factory=Timing)
    warm: Timing = field(default_factory=Timing)
    floor: Timing = field(default_factory=Timing)
    floor_cold: Timing = field(default_factory=Timing)
    """The floor's first visit on a fresh server, started just before this page's."""
    changes: list[Changes] = field(default_factory=list)
    load: float = 0.0
    """The 1-minute load average when the page's server started."""


class Bench:
    """One browser, one floor server; app servers come and go per page and database."""

    def __init__(self, browser: Any, floor_url: str, args: argparse.Namespace, logs: Path):
        self.browser, self.floor_url, self.args, self.logs = browser, floor_url, args, logs
        self.deadline = time.monotonic() + args.budget * 60
        self.floor_context = self.new_context()

    def new_context(self) -> Any:
        context = self.browser.new_context(viewport={"width": 1440, "height": 900})
        context.add_init_script(RUN_END_JS)
        return context

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def page_row(self, spec: PageSpec, name: str, db: Path) -> Row:
        """On a fresh server and browser: the cold load, warm loads alternating with the floor,
        then the page's widget changes (their values are not cached yet: loads use defaults)."""
        row = Row(spec, name)
        try:
            with serve(FLOOR, db, self.logs / "floor.log") as floor_url:
                context = self.new_context()
                row.floor_cold.add(load(context, floor_url, 1, self.args.timeout))
                context.close()
            row.load = os.getloadavg()[0]
            with serve(APP, db, self.logs / "app.log") as url:
                context = self.new_context()
                try:
                    self.loads(row, context, f"{url}/{spec.url_path}")
                    for label in WIDGETS.get(spec.url_path, ()):
                        changes = self.widget_changes(row, context, f"{url}/{spec.url_path}", label)
                        row.changes.append(changes)
                finally:
                    context.close()
        except RuntimeError as exc:  # the server did not start: say so in the table
            row.cold.error = str(exc)
        return row

    def loads(self, row: Row, context: Any, url: str) -> None:
        row.cold.add(load(context, url, 0, self.args.timeout))
        if self.out_of_time():
            row.warm.error = SKIPPED
            return
        for _ in range(self.args.repeat):
            row.warm.add(load(context, url, row.cold.charts, self.args.timeout))
            row.floor.add(load(self.floor_context, self.floor_url, 1, self.args.timeout))

    def widget_changes(self, row: Row, context: Any, url: str, wanted: str) -> Changes:
        """Step the page's widget forward ``--changes`` times (values this server has not
        computed yet), then back over the same values (cached by now)."""
        found = Changes(row.page, row.database, wanted=wanted)
        page = context.new_page()
        if self.out_of_time() or open_page(page, url, 0, self.args.timeout) is None:
            found.first.error = SKIPPED if self.out_of_time() else "timeout"
            return found
        found.label = wanted if widget(page, wanted) else None
        label = found.label or ""
        for _ in range(self.args.changes if label else 0):
            if self.out_of_time() or not self.step(
                page, label, 1, found.first, found.first_settled
            ):
                break
        # Back exactly as far as it went: every value on the way back is cached.
        for _ in range(len(found.first_settled.times)):
            if self.out_of_time() or not self.step(
                page, label, -1, found.again, found.again_settled
            ):
                break
        page.close()
        return found

    def step(self, page: Any, label: str, step: int, chart: Timing, settled: Timing) -> bool:
        """Move the widget one value and time the chart's new data and the run's end; False
        when it cannot move (the end of its values) or the page did not update in time."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        before, ends = page.evaluate(f"[({CHART_DATA_JS})(), window.__ends]")
        started = move_widget(page, label, step)
        if started is None:
            return False
        wait = {"polling": "raf", "timeout": self.args.timeout * 1000}
        try:
            got = page.wait_for_function(CHANGED_JS, arg={"before": before, "ends": ends}, **wait)
            changed = got.json_value()
            done = page.wait_for_function(DONE_JS, arg={"expected": 0, "ends": ends}, **wait)
            done = done.json_value()
        except PlaywrightTimeout:
            chart.add(None)
            return False
        # A run can end a moment before its charts take the new data: look again when drawn.
        # A widget may change only tables and cards (the savings band level changes no
        # chart): then the page shows the new values when the run has ended and drawn.
        at = changed["ms"] if changed["changed"] else done["ms"]
        chart.add({"ms": at - started, "charts": 0, "error": None})
        settled.add({**done, "ms": done["ms"] - started})
        return done["error"] is None


@dataclass
class Changes:
    """Widget changes on one page and database: first visits of each value, then revisits."""

    page: PageSpec
    database: str
    wanted: str = ""
    """The widget's label looked for."""
    label: str | None = None
    first: Timing = field(default_factory=Timing)
    first_settled: Timing = field(default_factory=Timing)
    again: Timing = field(default_factory=Timing)
    again_settled: Timing = field(default_factory=Timing)


def widget(page: Any, label: str) -> tuple[str, Any] | None:
    """The selectbox or slider whose label contains ``label``, as (kind, its input)."""
    import re

    labelled = {"has_text": re.compile(re.escape(label), re.IGNORECASE)}
    box = page.get_by_test_id("stSelectbox").filter(**labelled).get_by_role("combobox")
    if box.count():
        return "selectbox", box.first
    slider = page.get_by_test_id("stSlider").filter(**labelled).get_by_role("slider")
    if slider.count():
        return "slider", slider.first
    return None


def move_widget(page: Any, label: str, step: int) -> float | None:
    """Move the widget one value by keyboard, as a user would; the in-page time (ms since
    navigation) of the key that commits the change, or None if the value did not move."""
    found = widget(page, label)
    if found is None:
        return None
    kind, field_ = found
    if kind == "selectbox":
        before = field_.input_value()
        field_.click()
        page.get_by_role("option").first.wait_for(timeout=10_000)
        page.keyboard.press("ArrowDown" if step > 0 else "ArrowUp")
        started = float(page.evaluate("performance.now()"))
        page.keyboard.press("Enter")
        if field_.input_value() == before:
            page.keyboard.press("Escape")
            return None
        return started
    # A slider's thumb is an <input type="range"> whose value is the option's index.
    before = field_.input_value()
    field_.focus()
    started = float(page.evaluate("performance.now()"))
    page.keyboard.press("ArrowRight" if step > 0 else "ArrowLeft")
    return started if field_.input_value() != before else None


# -- report ----------------------------------------------------------------------------------
def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def verdict(ok: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: "no result"}[ok]


def line(cells: list[str], widths: list[int]) -> str:
    """Cells padded to their widths: the first two left-aligned, numbers right-aligned."""
    out = [
        c.ljust(w) if i < 2 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=False))
    ]
    return "".join(out + [f"  {c}" for c in cells[len(widths) :]]).rstrip()


def ratio_of(value: float | None, floor: float | None) -> float | None:
    return value / floor if value is not None and floor else None


def print_pages(rows: list[Row], floor_cold: Timing) -> list[bool | None]:
    print(
        "\nPage loads, ms from navigation to the last chart drawn. First: the first visit after "
        "the server started,\nbeside the floor's first visit on a fresh server started just "
        "before; warm: median of new sessions; run end:\nwhen the warm script run ended as the "
        "browser saw it (the rest is drawing). Load: 1-minute load average.\n"
        f"The floor's first visit on the bench's first server: {ms(floor_cold.median())} ms"
    )
    widths = [22, 12, 7, 8, 8, 7, 8, 8, 8, 7, 6]
    head = ["page", "database", "charts", "first", "floor", "ratio", "warm", "run end", "floor"]
    targets = f"targets: first <= {FIRST_RATIO_TARGET}x, warm <= {PAGE_RATIO_TARGET}x floor"
    print(line([*head, "ratio", "load", targets], widths))
    met: list[bool | None] = []
    for row in rows:
        first = ratio_of(row.cold.median(), row.floor_cold.median())
        warm = ratio_of(row.warm.median(), row.floor.median())
        broken = row.cold.error or row.warm.error
        ok_first = None if first is None or broken else first <= FIRST_RATIO_TARGET
        ok_warm = None if warm is None or broken else warm <= PAGE_RATIO_TARGET
        met += [ok_first, ok_warm]
        ran = statistics.median(row.warm.ran) if row.warm.ran else None
        cells = [row.page.title, row.database, str(row.cold.charts), ms(row.cold.median())]
        cells += [ms(row.floor_cold.median()), "-" if first is None else f"{first:.2f}"]
        cells += [ms(row.warm.median()), ms(ran), ms(row.floor.median())]
        cells += ["-" if warm is None else f"{warm:.2f}", f"{row.load:.1f}"]
        note = f"first {verdict(ok_first)}, warm {verdict(ok_warm)} {broken or ''}"
        print(line([*cells, note], widths))
    return met


def print_changes(found: list[Changes]) -> list[bool | None]:
    print(
        "\nWidget changes, median ms from the change to the chart's new data (the run's end when "
        "no chart changes) / to the end of the run (every chart drawn)"
    )
    widths = [34, 12, 24, 24]
    head = ["page: widget", "database", "first visits", "revisits (cached)"]
    print(line([*head, f"target < {CHANGE_TARGET_MS:,.0f} ms (first visits)"], widths))
    met: list[bool | None] = []
    for c in found:
        if c.label is None and c.first.error is None:
            print(line([c.page.title, c.database, f"no widget labelled {c.wanted}"], [34, 12]))
            continue
        chart = c.first.median()
        ok = None if chart is None else chart < CHANGE_TARGET_MS
        met.append(ok)
        first = f"{ms(chart)} / {ms(c.first_settled.median())} (n={len(c.first.times)})"
        again = f"{ms(c.again.median())} / {ms(c.again_settled.median())} (n={len(c.again.times)})"
        note = c.first.error or c.first_settled.error or c.again.error or ""
        cells = [f"{c.page.title}: {c.label or c.wanted}", c.database, first, again]
        print(line([*cells, f"{verdict(ok)} {note}"], widths))
    return met


def run(pages: list[PageSpec], dbs: dict[str, Path], args: argparse.Namespace, logs: Path) -> int:
    from playwright.sync_api import sync_playwright

    rows: list[Row] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            with serve(FLOOR, next(iter(dbs.values())), logs / "floor.log") as floor_url:
                bench = Bench(browser, floor_url, args, logs)
                floor_cold = Timing()
                floor_cold.add(load(bench.floor_context, floor_url, 1, args.timeout))
                # Page by page, each on both databases, so that a spent budget cuts pairs.
                for spec in pages:
                    for name, db in dbs.items():
                        row = Row(spec, name)
                        rows.append(
                            skipped(row) if bench.out_of_time() else bench.page_row(spec, name, db)
                        )
        finally:
            browser.close()
    pages_met = print_pages(rows, floor_cold)
    found = [c for r in rows for c in r.changes]
    changes_met = print_changes(found)
    print(
        f"\nTargets: {pages_met.count(True)} of {len(pages_met)} page loads (first visits and "
        f"warm) within their ratio of the floor; {changes_met.count(True)} of "
        f"{len(changes_met)} widget-change medians under {CHANGE_TARGET_MS:,.0f} ms"
    )
    errors = [t.error for r in rows for t in (r.cold, r.warm)] + [c.first.error for c in found]
    broken = [e for e in errors if e and e != SKIPPED]
    return 1 if broken else 0


def skipped(row: Row) -> Row:
    row.cold.error = SKIPPED
    for label in WIDGETS.get(row.page.url_path, ()):
        changes = Changes(row.page, row.database, wanted=label)
        changes.first.error = SKIPPED
        row.changes.append(changes)
    return row


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a 1M-row database")
    parser.add_argument(
        "--big-rows",
        type=int,
        help="line items in the big database (default 10M; 0: the demo alone)",
    )
    parser.add_argument("--repeat", type=int, help="warm loads per page (default 3, quick 1)")
    parser.add_argument("--changes", type=int, help="widget changes each way (default 5, quick 2)")
    parser.add_argument("--only", help="comma-separated URL paths, e.g. review,capacity ('' is /)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds one load may take")
    parser.add_argument("--budget", type=float, help="minutes of measuring (default 15, quick 8)")
    parser.add_argument(
        "--demo-db",
        type=Path,
        help="a demo database built to the bench's day (capcost demo --until 2026-11-26) to "
        "copy instead of building one (it is refreshed on the copy)",
    )
    parser.add_argument(
        "--ports",
        help="loopback ports the servers may take, LOW-HIGH (default: any free one)",
    )
    parser.add_argument(
        "--no-refresh",
        action="store_true",
        help="no stored forecasts: the pages compute on first visit (as before capcost refresh)",
    )
    args = parser.parse_args()
    quick = args.quick
    if args.big_rows is None:
        args.big_rows = 1_000_000 if quick else 10_000_000
    args.repeat = args.repeat or (1 if quick else 3)
    args.changes = args.changes or (2 if quick else 5)
    args.budget = args.budget or (8 if quick else 15)
    return args


def main() -> int:
    global REFRESH, PORTS
    args = parse_args()
    REFRESH = not args.no_refresh
    if args.ports:
        low, high = (int(p) for p in args.ports.split("-"))
        PORTS = range(low, high + 1)
    pages = with_sections(discover_pages())
    if args.only is not None:
        wanted = args.only.split(",")
        pages = [p for p in pages if p.url_path.split("?")[0] in wanted]
    logs = CACHE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for log in logs.glob("*.log"):  # this run's server output only
        log.unlink()
    with tempfile.TemporaryDirectory(prefix="capcost-bench-pages-") as tmp:
        dbs = {"demo": demo_database(Path(tmp), args.demo_db)}
        if args.big_rows:
            dbs[f"{args.big_rows / 1e6:g}M rows"] = big_database(args.big_rows)
        started, load = time.monotonic(), os.getloadavg()
        print(f"{len(pages)} pages: " + ", ".join(f"{p.title} /{p.url_path}" for p in pages))
        print(f"load average before: {load[0]:.1f} on {os.cpu_count()} cores")
        code = run(pages, dbs, args, logs)
    print(
        f"measured in {(time.monotonic() - started) / 60:.1f} min; "
        f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
