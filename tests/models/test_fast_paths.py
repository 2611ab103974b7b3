"""The engine's fast paths give statsforecast's own numbers bit for bit (oracle tests).

ARIMA moves forward and forecasts with statsforecast's functions minus the work whose
results it ignores; these tests run the library's own ``forward_arima`` and
``forecast_arima`` beside them on the same fitted models and require equal bytes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from forecasting.models.arima import ARIMA

from .conftest import seasonal_series


def _series() -> list[tuple[str, np.ndarray, int]]:
    rng = np.random.default_rng(11)
    t = np.arange(60, dtype=float)
    return [
        ("seasonal trend", seasonal_series(60, seed=1), 12),
        ("seasonal short", seasonal_series(30, seed=2), 12),
        ("random walk", 50 + rng.normal(0, 2, 48).cumsum(), 1),
        ("walk with drift", 10 + 0.7 * t[:40] + rng.normal(0, 1, 40).cumsum(), 1),
        ("stationary", 20 + rng.normal(0, 1, 40), 1),
        ("quarterly growth", 100 * 1.03 ** t[:28] * (1 + 0.1 * (t[:28] % 4 == 3)), 4),
        ("negative", -30 + rng.normal(0, 5, 36).cumsum(), 12),
        ("daily", 100 + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, 60), 7),
    ]


def _library_forecast(fitted: ARIMA, h: int) -> tuple[np.ndarray, np.ndarray]:
    from statsforecast.arima import forecast_arima

    out = forecast_arima(fitted.model_, h=h, level=[80])
    mean = np.asarray(out["mean"], dtype=float)
    upper = np.asarray(out["upper"], dtype=float).reshape(h, -1)[:, 0]
    return mean, (upper - mean) / 1.2815515655446004


@pytest.mark.parametrize(("label", "y", "m"), _series(), ids=[s[0] for s in _series()])
def test_arima_forward_and_forecast_are_the_library_s(label: str, y: np.ndarray, m: int) -> None:
    from statsforecast.arima import forward_arima

    start = max(int(0.6 * len(y)), 12)
    anchor = ARIMA(m).fit(y[:start])
    kinds = set(anchor.model_["coef"])
    for origin in range(start, len(y) + 1, 3):
        moved = anchor.forward(y[:origin])
        library = ARIMA(m, orders=anchor.orders_)
        library.model_ = forward_arima(anchor.model_, y[:origin], method="CSS-ML")
        library.n_ = origin
        for h in (1, 7):
            ours, theirs = moved.forecast(h), _library_forecast(library, h)
            assert ours.mean.tobytes() == theirs[0].tobytes(), (label, kinds, origin)
            assert ours.sd.tobytes() == theirs[1].tobytes(), (label, kinds, origin)
    # The fitted model's own forecast is the library's too.
    mean, sd = _library_forecast(anchor, 5)
    assert anchor.forecast(5).mean.tobytes() == mean.tobytes()
    assert anchor.forecast(5).sd.tobytes() == sd.tobytes()


def test_arima_cases_cover_drift_mean_and_neither() -> None:
    """The oracle above sees every kind of regressor the fast path handles."""
    kinds = set()
    for _, y, m in _series():
        coef = ARIMA(m).fit(y[: max(int(0.6 * len(y)), 12)]).model_["coef"]
        kinds.add("drift" if "drift" in coef else "intercept" if "intercept" in coef else "none")
    assert kinds == {"drift", "intercept", "none"}


def test_arima_forecast_of_a_constant_stretch() -> None:
    """A forwarded window that is flat forecasts its value with no spread, as the library."""
    y = np.r_[np.linspace(1, 5, 20), np.full(20, 5.0)]
    anchor = ARIMA(1).fit(y[:20])
    point = anchor.forward(np.full(25, 5.0)).forecast(4)
    assert point.mean.tolist() == [5.0] * 4
    assert point.sd.tolist() == [0.0] * 4


def test_ses_is_lfilter_bit_for_bit() -> None:
    from scipy.signal import lfilter

    from forecasting.models.theta import ses

    rng = np.random.default_rng(3)
    for i in range(400):
        n = int(rng.integers(2, 250))
        y = rng.normal(0, 1, n).cumsum() * 10 ** rng.uniform(-3, 6) + rng.uniform(-50, 50)
        alpha = float(rng.uniform(0, 1)) if i % 5 else (0.0, 1.0, 1e-9, 1 - 1e-12)[i % 4]
        levels, _ = lfilter([alpha], [1.0, alpha - 1.0], y, zi=[(1.0 - alpha) * y[0]])
        fitted, last = ses(y, alpha)
        assert fitted.tobytes() == np.concatenate(([y[0]], levels[:-1])).tobytes()
        assert last == float(levels[-1])


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 16, 47, 128, 129, 130, 255, 256, 257, 1000])
def test_pairwise_sum_is_numpy_s(n: int) -> None:
    from forecasting.models.compiled import pairwise_sum

    rng = np.random.default_rng(n)
    for _ in range(50):
        values = rng.normal(0, 1, n) * 10 ** rng.uniform(-5, 8)
        assert pairwise_sum(values, 0, n) == float(np.sum(values))


def _ses_squared_errors(z: np.ndarray, alpha: float) -> tuple[float, float]:
    """Compiled SES squared errors, and numpy's sum over theta.ses's errors."""
    from forecasting.models.compiled import ses_sse
    from forecasting.models.theta import ses

    return ses_sse(z, alpha), float(np.sum(np.square(z - ses(z, alpha)[0])))


def _ses_weight(z: np.ndarray, alpha: float) -> tuple[float, float]:
    """The compiled search's smoothing weight, and scipy's bounded search over the same
    errors (``alpha`` unused: the search finds its own)."""
    from scipy.optimize import minimize_scalar

    from forecasting.models.compiled import ses_alpha, ses_sse

    scipy = minimize_scalar(
        lambda a: float(ses_sse(z, a)), bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-8}
    )
    return ses_alpha(z, 1e-8, 500), float(scipy.x)


@pytest.mark.parametrize(
    ("pair", "seed", "count", "shortest"),
    [(_ses_squared_errors, 5, 500, 2), (_ses_weight, 8, 300, 5)],
    ids=["squared errors are numpy's", "smoothing weight is scipy's bounded search"],
)
def test_compiled_ses_is_bit_for_bit(
    pair: Callable[[np.ndarray, float], tuple[float, float]], seed: int, count: int, shortest: int
) -> None:
    """Levels spanning nine decades, logs, noise (alpha near 0) and the edge weights."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        n = int(rng.integers(shortest, 400))
        z = rng.normal(0, 1, n).cumsum() * 10 ** rng.uniform(-3, 6) + rng.uniform(-50, 50)
        if i % 3 == 0:
            z = np.log(np.abs(z) + 1)
        if i % 7 == 0:
            z = rng.normal(0, 1, n) + 5  # noise: alpha near 0
        alpha = float(rng.uniform(0, 1)) if i % 5 else (0.0, 1.0, 1e-9, 1 - 1e-12)[i % 4]
        ours, reference = pair(z, alpha)
        assert ours == reference, (i, n, alpha)


def test_ses_alpha_stops_where_scipy_s_iteration_cap_does() -> None:
    from scipy.optimize import minimize_scalar

    from forecasting.models.compiled import ses_alpha, ses_sse

    rng = np.random.default_rng(8)
    # The iteration cap stops both at the same point.
    z = rng.normal(0, 1, 50).cumsum()
    capped = minimize_scalar(
        lambda a: float(ses_sse(z, a)),
        bounds=(0.0, 1.0),
        method="bounded",
        options={"xatol": 1e-8, "maxiter": 4},
    )
    assert ses_alpha(z, 1e-8, 4) == float(capped.x)


def test_column_medians_are_nanmedian_s() -> None:
    import warnings

    from forecasting.models.intervals import column_medians

    rng = np.random.default_rng(4)
    for i in range(400):
        w, h = int(rng.integers(1, 40)), int(rng.integers(1, 30))
        values = np.abs(rng.normal(0, 1, (w, h)) * 10 ** rng.uniform(-5, 5))
        if i % 2:
            values = np.round(values, 1)  # ties
        if i % 4 == 0:
            for k in range(h):
                values[w - k :, k] = np.nan  # a backtest's: later steps, fewer origins
        elif i % 4 == 1:
            values[rng.random((w, h)) < 0.3] = np.nan
        elif i % 4 == 2:
            values[:, rng.integers(0, h)] = np.nan  # a step no origin reaches
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(values, axis=0)
        got = column_medians(values, np.isfinite(values).sum(axis=0))
        assert got.tobytes() == expected.tobytes()


def _same(a: object, b: object) -> bool:
    """Equal to the bit: arrays by bytes (NaN and the sign of zero included), containers
    item by item."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float) and isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return type(a) is type(b) and bool(a == b)


def _arima_cases() -> list[tuple[np.ndarray, int, tuple[int, int, int], tuple[int, int, int]]]:
    """Every start model of the engine's search with each differencing, on the oracle
    series above cut to a few lengths (only models the data can carry)."""
    from forecasting.models.arima import _START, enough_data

    cases = []
    for _, y, m in _series():
        for n in (len(y), max(len(y) * 2 // 3, 14)):
            for (p, q), (sp, sq) in _START:
                for d, sd in ((0, 0), (1, 0), (0, 1), (1, 1), (2, 0)):
                    seasonal = (sp, sd, sq) if m > 1 else (0, 0, 0)
                    period = m if seasonal != (0, 0, 0) else 1
                    if enough_data(n, (p, d, q), seasonal, period):
                        cases.append((y[:n], m, (p, d, q), seasonal))
    return list({(c[0].tobytes(), *c[1:]): c for c in cases}.values())


def test_arima_fits_with_the_lean_bfgs_are_scipy_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """statsforecast's ARIMA fitted through bfgs.minimize returns what it returns through
    scipy.optimize.minimize: coefficients, covariance, likelihood, residuals, every byte."""
    import warnings

    import scipy.optimize

    from forecasting.models import bfgs
    from forecasting.models.arima import _statsforecast_arima

    module = _statsforecast_arima()
    cases = _arima_cases()
    assert len(cases) > 150
    for y, m, order, seasonal in cases:
        d = order[1] + seasonal[1]
        kwargs = {
            "order": order,
            "seasonal": {"order": seasonal, "period": m if seasonal != (0, 0, 0) else 1},
            "include_mean": d == 0,
            "include_drift": d == 1,
            "method": "CSS-ML",
        }
        fits = []
        for minimize in (scipy.optimize.minimize, bfgs.minimize):
            monkeypatch.setattr(module, "minimize", minimize)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    fits.append(module.Arima(y.copy(), **kwargs))
                except Exception as exc:  # the same failure both ways
                    fits.append((type(exc), str(exc)))
        assert _same(fits[0], fits[1]), (len(y), m, order, seasonal)


def test_lean_bfgs_matches_scipy_on_hard_objectives() -> None:
    """Every field of the result on objectives that stop for each reason: converged,
    iteration cap, precision loss on a kink, a NaN, and one whose value depends on the
    order of the calls (statsforecast's objective updates its model in place)."""
    import scipy.optimize

    from forecasting.models import bfgs

    def rosen(x: np.ndarray) -> float:
        return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

    def kink(x: np.ndarray) -> float:
        return float(np.sum(np.abs(x - 0.3)))

    def nan_beyond(x: np.ndarray) -> float:
        return float("nan") if x[0] > 0.5 else float((x[0] - 2) ** 2 + x[1] ** 2)

    def stateful() -> object:
        calls = [0]

        def f(x: np.ndarray) -> float:
            calls[0] += 1
            return float(np.sum((x - 1) ** 2) + 1e-9 * (calls[0] % 7))

        return f

    cases = [
        (rosen, np.array([-1.2, 1.0, 0.5]), 1e-8, {"maxiter": 100}),
        (rosen, np.array([-1.2, 1.0]), 1e-8, {"maxiter": 3}),
        (kink, np.array([2.0, -1.0]), 1e-8, {"maxiter": 100}),
        (nan_beyond, np.array([0.0, 1.0]), 1e-8, {"maxiter": 100}),
        (stateful(), np.array([3.0, 0.0, -2.0]), 1e-8, {"maxiter": 100}),
        (rosen, np.array([1e9, 2.0]), None, {}),
    ]
    fields = ("x", "fun", "jac", "hess_inv", "nfev", "njev", "status", "success", "message", "nit")
    for fun, x0, tol, options in cases:
        results = []
        for minimize in (scipy.optimize.minimize, bfgs.minimize):
            f = stateful() if fun.__name__ == "f" else fun
            with np.errstate(all="ignore"):
                res = minimize(f, x0.copy(), method="BFGS", tol=tol, options=options)
            results.append([res[k] for k in fields])
        assert _same(*results), (fun.__name__, x0)


def test_lean_bfgs_leaves_other_calls_to_scipy() -> None:
    from forecasting.models import bfgs

    def bowl(x: np.ndarray) -> float:
        return float(np.sum((x - 0.25) ** 2))

    res = bfgs.minimize(bowl, np.array([1.0]), method="L-BFGS-B", bounds=[(0.5, 2.0)])
    assert res.x[0] == 0.5  # bounds are scipy's business
    res = bfgs.minimize(bowl, [1, 2], method="BFGS")  # integers: scipy converts them
    assert np.allclose(res.x, 0.25)


def test_ets_search_with_remembered_initial_states_is_the_library_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ets_f's whole search, the same with the initial states and seasonal decompositions
    computed once per input within a search; outside one every call computes them afresh."""
    import warnings

    from forecasting.models.ets import _remembered, _statsforecast_ets, one_search

    module = _statsforecast_ets()
    original = module.initstate.__wrapped__
    remembered_decompose = module.seasonal_decompose
    decompose = remembered_decompose.__wrapped__
    computed: list[tuple[object, ...]] = []

    def counted(y: np.ndarray, *rest: object) -> object:
        computed.append((y.tobytes(), *rest))
        return original(y, *rest)

    rng = np.random.default_rng(9)
    for _, y, m in _series():
        for z, model in ((y, "ZZZ"), (np.log(np.abs(y) + 1), "AZZ")):
            z = z * 10 ** rng.uniform(-2, 3)
            fits = []
            plain = (original, decompose, 1)
            within = (_remembered(counted), remembered_decompose, 2)
            for initstate, decomposition, searches in (plain, within):
                monkeypatch.setattr(module, "initstate", initstate)
                monkeypatch.setattr(module, "seasonal_decompose", decomposition)
                computed.clear()
                with warnings.catch_warnings(), np.errstate(all="ignore"), one_search():
                    warnings.simplefilter("ignore")
                    for _ in range(searches):  # the second: every state remembered
                        try:
                            fits.append(module.ets_f(z.copy(), m=min(m, 24), model=model))
                        except Exception as exc:
                            fits.append((type(exc), str(exc)))
            assert _same(fits[0], fits[1]) and _same(fits[0], fits[2]), (m, model)
            assert len(computed) == len(set(computed)), (m, model)
    computed.clear()
    remembered = _remembered(counted)
    remembered(np.arange(1.0, 30.0), 1, "A", "N")
    remembered(np.arange(1.0, 30.0), 1, "A", "N")
    assert len(computed) == 2


def test_step_evidence_is_numpy_s() -> None:
    """lean_of's compiled evidence per step is its loop over numpy's mean and std."""
    import math

    from forecasting.models.compiled import step_evidence

    def loop(scores: np.ndarray) -> list[float]:
        evidence = []
        for k in range(scores.shape[1]):
            step = scores[:, k][np.isfinite(scores[:, k])]
            independent = len(step) / (k + 1)
            sd = float(np.std(step, ddof=1)) if len(step) > 2 else 0.0
            if independent >= 2 and sd > 0:
                evidence.append(float(np.mean(step)) / (sd / math.sqrt(independent)))
        return evidence

    rng = np.random.default_rng(12)
    for i in range(400):
        w, h = int(rng.integers(1, 60)), int(rng.integers(1, 30))
        scores = rng.normal(rng.normal(0, 1), 1, (w, h)) * 10 ** rng.uniform(-4, 4)
        if i % 3 == 0:
            for k in range(h):
                scores[w - k :, k] = np.nan  # later steps, fewer origins
        elif i % 3 == 1:
            scores[rng.random((w, h)) < 0.3] = np.nan
        if i % 5 == 0:
            scores[:, rng.integers(0, h)] = 1.5  # no spread
        expected = np.asarray(loop(scores), dtype=float)
        assert step_evidence(scores).tobytes() == expected.tobytes()


def test_sorted_quantile_and_median_are_numpy_s() -> None:
    from forecasting.models.intervals import sorted_median, sorted_quantile

    rng = np.random.default_rng(13)
    for i in range(600):
        n = int(rng.integers(1, 400))
        values = np.abs(rng.normal(0, 1, n) * 10 ** rng.uniform(-6, 6))
        if i % 3 == 0:
            values = np.round(values, 1)  # ties, zeros
        ordered = np.sort(values)
        probs = [0.0, 1.0, 0.5, 1 - 1 / n, float(rng.uniform()), 0.8 * (n + 1) / n]
        for prob in probs:
            if prob <= 1.0:
                assert sorted_quantile(ordered, prob) == float(np.quantile(values, prob))
        assert sorted_median(ordered) == float(np.median(values))


def test_error_growth_is_the_weighted_average_fit() -> None:
    """error_growth's sums in place of np.average give np.average's numbers."""
    from forecasting.models.intervals import column_medians, error_growth

    def by_average(scores: np.ndarray) -> np.ndarray:
        h = scores.shape[1]
        count = np.isfinite(scores).sum(axis=0)
        typical = column_medians(np.abs(scores), count)
        use = (count > 0) & np.isfinite(typical) & (typical > 0)
        if use.sum() < 2:
            return np.ones(h)
        x, y = np.log(np.arange(1, h + 1))[use], np.log(typical[use])
        w = count[use].astype(float)
        xm = np.average(x, weights=w)
        spread = float(np.average(np.square(x - xm), weights=w))
        if spread <= 0:
            return np.ones(h)
        slope = float(np.average((x - xm) * (y - np.average(y, weights=w)), weights=w)) / spread
        return np.asarray(np.exp(max(slope, 0.0) * np.log(np.arange(1, h + 1))))

    rng = np.random.default_rng(14)
    for _ in range(300):
        w, h = int(rng.integers(1, 50)), int(rng.integers(1, 30))
        growth = np.arange(1, h + 1) ** rng.uniform(-0.5, 1.5)
        scores = rng.normal(0, 1, (w, h)) * growth * 10 ** rng.uniform(-4, 4)
        for k in range(h):
            scores[w - k :, k] = np.nan
        assert error_growth(scores).tobytes() == by_average(scores).tobytes()


def test_phase_means_are_nanmean_s() -> None:
    """Theta's compiled seasonal means are np.nanmean per phase, NaN ends and all."""
    import warnings

    from forecasting.models.compiled import phase_means

    rng = np.random.default_rng(15)
    for i in range(400):
        m = int(rng.choice([2, 4, 7, 12, 24, 52]))
        n = int(rng.integers(m, 30 * m))
        values = rng.normal(1, 0.2, n) * 10 ** rng.uniform(-3, 5)
        half = m // 2
        values[:half] = values[n - half :] = np.nan  # a centred moving average's ends
        if i % 4 == 0:
            values[rng.random(n) < 0.2] = np.nan
        if i % 9 == 0:
            values[rng.integers(0, m) :: m] = np.nan  # a phase with no number
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.array([np.nanmean(values[k::m]) for k in range(m)])
        assert phase_means(values, m).tobytes() == expected.tobytes(), (m, n)
