"""Forecasting engine: automatic model selection by backtest, calibrated bands, sample paths.

Public API, ``forecasting.models.api`` (the rest of the package is an implementation
detail; this ``__init__`` imports nothing, so the CLI can register commands cheaply)::

    from forecasting.models.api import forecast

    result = forecast(frame, h=12, freq=None, level=(80,), model="auto", n_paths=1000, seed=0)

``frame`` is long format ``unique_id, ds, y`` (validated once, in ``validation.py``); ``freq``
is inferred from ``ds`` unless stated (``month``, ``quarter``... or a pandas alias); ``h``
defaults to one seasonal cycle (8 periods without one). ``model`` is ``auto`` or a name
from ``model_names()``; an unknown name raises ``UnknownNameError`` listing them.

The ``ForecastResult`` carries:

- ``.forecast``: ``unique_id, ds, forecast, lower, upper, level, model``, one row per
  series, step and level, ``ds`` continuing each series' dates;
- ``.backtest``: per series and model tried, rolling-origin accuracy at the forecast's own
  horizon: ``mase, smape`` (0-200), ``mape, bias, bias_pct`` and the ``coverage`` of the
  calibrated band; ``selected`` marks the model used;
- ``.paths``: ``{unique_id: array (n_paths, h)}`` simulated futures whose spread matches
  the first level's band; ``.aggregate("quarter")`` sums them into quarters with bands
  taken from the sums;
- ``.excuses``: what was adjusted or could not be done, and why (``Excuse``).

``model="auto"`` fits ETS, Theta and ARIMA plus a naive benchmark (seasonal naive; naive
and drift without a season), backtests each at up to three past origins at the forecast's
own horizon, and forecasts with the median of those whose backtest MASE is within twice
the best one's. Bands are calibrated on the backtest errors (conformal-style) so that
about ``level`` percent of actuals fall inside. ``result.candidates()`` shows every model
tried. Many series run on a process pool. ``backtest(frame, h, ...)`` returns only the
accuracy table.

Stored series: ``forecasting.models.service.forecast_store(store, metric, freq=...)``
(quarters summed from monthly paths) and ``freeze(...)`` as a plan of record. Driver
models (cost = fixed + per-user cost per group, unit economics) are in ``drivers``;
scenarios on the users (base, low, high, stored) in ``scenarios``.
"""
