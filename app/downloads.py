"""Download buttons whose file is made when clicked, and say on the page why one was not.

Streamlit runs a download's builder (``st.download_button`` given a callable) on a thread of
its own when the button is clicked, where no ``st.*`` call works; when the builder raises,
the browser shows "Failed to generate file for download" under the button for 5 s, and the
reason is only in the server's log. So each button keeps a ``Made`` in the session: a failed
build records its reason there and asks the session for a rerun, which draws the reason
under the button, where it stays until a later click makes the file.

A click itself does not rerun the page (``on_click="ignore"``): with a rerun, the run
registered the button anew under another file id and dropped the clicked one, and a click
whose request was served after that run failed too (seen in CI under load on Capacity's
runway).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

LOG = logging.getLogger(__name__)


def reason(exc: BaseException) -> str:
    """An exception as one line a reader can act on: its message's first line, else its
    kind (``KeyError()`` says nothing)."""
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


@dataclass
class Made:
    """What clicking one download button made, kept in the session across runs."""

    make: Callable[[], bytes] | None = None
    """What the button last drawn makes when clicked."""
    session_id: str | None = None
    """The session that drew it (None outside a served app, e.g. under AppTest)."""
    error: str | None = None
    """Why the last file asked for was not made; None once one was."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request(self) -> bytes:
        """What a click runs, on streamlit's thread: the file; a failure is kept, the page
        asked to show it, and raised, so that nothing downloads."""
        try:
            assert self.make is not None, "a download asked for before it was drawn"
            data = self.make()
        except Exception as exc:
            self._outcome(reason(exc))
            raise
        self._outcome(None)
        return data

    def _outcome(self, error: str | None) -> None:
        with self._lock:
            changed, self.error = self.error != error, error
        if changed:  # a reason to show, or one shown that no longer holds
            rerun(self.session_id)


RERUN_AFTER_S = 1.0
"""How long after the build the rerun starts: a new run clears the session's queue of
messages not yet sent, and the answer to the click (the file's address, or the failure
that stops the button's spinner) is queued just after the build; dropped, the button
would spin for good."""


def rerun(session_id: str | None) -> None:
    """Rerun the session as it stands (its page, query and widgets), from any thread.

    Streamlit has no public call for it (streamlit/streamlit#13466: a deferred download's
    errors cannot reach the script thread); this is what its own file watcher does on a
    change of source with runOnSave: the session's last client state, on its event loop.
    """
    if session_id is None or not runtime.exists():
        return
    session = runtime.get_instance().get_app_session(session_id)
    if session is None:  # the tab was closed
        return
    try:
        state = session._client_state

        def later() -> None:
            loop = asyncio.get_running_loop()
            loop.call_later(RERUN_AFTER_S, lambda: session.request_rerun(state))

        session._call_soon_on_event_loop(later)
    except AttributeError:  # another streamlit: the reason shows on the next run
        LOG.warning("cannot rerun the session to show a failed download", exc_info=True)


def button(
    label: str,
    make: Callable[[], bytes],
    file_name: str,
    mime: str,
    where: Any = st,
    **kw: Any,
) -> None:
    """A download of what ``make()`` returns, written when clicked; under it, while the
    last file asked for could not be made, one line saying why."""
    made: Made = st.session_state.setdefault(f"download: {label}", Made())
    ctx = get_script_run_ctx()
    made.make, made.session_id = make, None if ctx is None else ctx.session_id
    where.download_button(
        label, made.request, file_name=file_name, mime=mime, on_click="ignore", **kw
    )
    if made.error is not None:
        where.error(f"{file_name} was not made: {made.error}", icon=":material/error:")
