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
- ``.backtest``: per series and model tried, rolling-origin accuracy from every recent
  period up to two seasonal cycles ahead (whatever ``h`` is): ``windows`` and ``errors``
  behind each row, ``mase`` (averaged over steps), ``smape`` (0-200), ``mape, bias,
  bias_pct``, the ``coverage`` of the calibrated band and ``coverage_no_prior`` (the same
  without the population prior, which only widens it); ``selected`` marks the model
  used, and a combination's row scores exactly its members' median;
- ``.paths``: ``{unique_id: array (n_paths, h)}`` simulated futures: at every step their
  central L% band is the calibrated L% band for any L, the first k steps do not depend on
  ``h``, and they are deterministic for ``seed``. The demand chain, scenarios and runway
  read these. ``.aggregate("quarter", how="sum" | "mean")`` rolls them up into quarters
  with bands taken from the roll-ups;
- ``.excuses``: what was adjusted or could not be done, and why (``Excuse``).

``model="auto"`` fits ETS, Theta and ARIMA plus a naive benchmark (seasonal naive; naive
and drift without a season), and for strictly positive series models of multiplicative
growth fitted on log(y) (ETS, Theta, a linear trend; their mean is the bias-adjusted
back-transform); backtests each from every recent origin, and forecasts with the median
of those whose backtest MASE is within twice the best one's. Model choice and calibration
depend on the history only, never on ``h`` or ``level``. Bands are calibrated on the
backtest errors (conformal-style, growing with the step as the errors did, on the log
scale for positive series) so that about ``level`` percent of actuals fall inside.
``result.candidates()`` shows every model tried. Many series run on a process pool.
``backtest(frame, h, ...)`` returns only the accuracy table.

Stored series: ``forecasting.models.service.forecast_store(store, metric, freq=...)``
(quarters rolled up from monthly paths; a running month nowcast from its observed days and
the months after it forecast from that nowcast, ``nowcast.forecast_running``) and
``freeze(...)`` as a plan of record; ``asof.forecast_as_of(store, metric, date)`` is the
forecast made from the data up to a date beside what happened after it. Driver models
(cost = fixed + per-user cost per group, unit economics) are in ``drivers``; scenarios on
the users (base, low, high, stored) in ``scenarios``.
"""
