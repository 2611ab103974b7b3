"""An uploaded file (from the app) through the same ingestion as the command line."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from forecasting.errors import InputError
from forecasting.ingest.files import is_data_file
from forecasting.ingest.progress import ProgressCallback
from forecasting.interface import IngestResult

if TYPE_CHECKING:
    import threading

    from forecasting.store import Store


class UploadKind(StrEnum):
    BILLING = "billing"  # FOCUS or CUR export
    METRIC = "metric"


def ingest_upload(
    store: Store,
    name: str,
    data: bytes,
    kind: UploadKind,
    *,
    metric: str | None = None,
    unit: str | None = None,
    time_column: str | None = None,
    value_column: str | None = None,
    dimensions: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    thread_hook: Callable[[threading.Thread], None] | None = None,
    replace_other_sources: bool = False,
) -> IngestResult:
    """Write the upload to a private temporary file under its own name, then ingest it.

    A metric upload reports other sources of the same series in ``detail["other_sources"]``
    (their days are averaged in) unless ``replace_other_sources`` replaces them.
    """
    safe = Path(name).name  # never a path the browser chose
    if not is_data_file(safe):
        raise InputError("upload a .csv, .csv.gz or .parquet file", file=safe)
    with tempfile.TemporaryDirectory(prefix="capcost-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        try:
            return _load(
                store,
                path,
                UploadKind(kind),
                metric,
                unit,
                time_column,
                value_column,
                dimensions,
                progress,
                thread_hook,
                replace_other_sources,
            )
        except InputError as exc:
            # Name the file as the user knows it, not by the temporary copy.
            clean = InputError(str(exc).replace(f"{tmp}/", ""))
            clean.file, clean.row, clean.column = safe, exc.row, exc.column
            raise clean from None


def _load(
    store: Store,
    path: Path,
    kind: UploadKind,
    metric: str | None,
    unit: str | None,
    time_column: str | None,
    value_column: str | None,
    dimensions: Mapping[str, str] | None,
    progress: ProgressCallback | None,
    thread_hook: Callable[[threading.Thread], None] | None,
    replace_other_sources: bool,
) -> IngestResult:
    if kind is UploadKind.BILLING:
        from forecasting.ingest.focus import load_focus

        return load_focus(store, [path], progress=progress, thread_hook=thread_hook)
    if not metric:
        raise InputError("a metric file needs a metric name", parameter="metric")
    from forecasting.ingest.metrics import load_metrics

    return load_metrics(
        store,
        path,
        metric=metric,
        unit=unit or None,
        time_column=time_column or None,
        value_column=value_column or None,
        dimensions=dimensions,
        progress=progress,
        thread_hook=thread_hook,
        replace_other_sources=replace_other_sources,
    )
