"""Inner loops compiled with numba (loaded by the models that use them, never at import)."""

from __future__ import annotations

import numpy as np
from numba import njit

from forecasting.models.base import FloatArray

# numpy's pairwise summation works on blocks of this many values (loops_utils.h.src).
_PAIRWISE_BLOCK = 128


@njit(cache=True)
def _block_sum(values: FloatArray, start: int, stop: int) -> float:
    """numpy's sum of at most 128 values: in order below 8, else eight accumulators."""
    n = stop - start
    if n < 8:
        small = 0.0
        for i in range(start, stop):
            small += values[i]
        return small
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = start + 8
    whole = stop - n % 8
    while i < whole:
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
        i += 8
    out = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < stop:
        out += values[i]
        i += 1
    return float(out)


@njit(cache=True)
def _left_half(n: int) -> int:
    half = n // 2
    return half - half % 8


@njit(cache=True)
def pairwise_sum(values: FloatArray, start: int, stop: int) -> float:
    """``np.sum(values[start:stop])`` of a contiguous float64 array, summed in numpy's order
    (eight accumulators per block of 128, the left half plus the right half above) so that
    it is the same number, not one a last bit away.

    numpy recurses on the halves; numba cannot cache a recursive function (loading it
    aborts the process), so the recursion runs on an explicit stack of ranges: a range is
    split (stage 1: its left half is being summed, stage 2: its right half) or summed.
    """
    lo = np.empty(64, np.int64)
    hi = np.empty(64, np.int64)
    stage = np.zeros(64, np.int64)
    left = np.empty(64)
    top = 0
    lo[0], hi[0] = start, stop
    while True:
        if hi[top] - lo[top] > _PAIRWISE_BLOCK:
            stage[top] = 1
            lo[top + 1], hi[top + 1] = lo[top], lo[top] + _left_half(hi[top] - lo[top])
            top += 1
            stage[top] = 0
            continue
        result = _block_sum(values, lo[top], hi[top])
        # Hand the finished range's sum up until a range still needs its right half.
        while top > 0:
            top -= 1
            if stage[top] == 1:
                left[top] = result
                stage[top] = 2
                lo[top + 1], hi[top + 1] = lo[top] + _left_half(hi[top] - lo[top]), hi[top]
                top += 1
                stage[top] = 0
                break
            result = left[top] + result
        else:
            return result


@njit(cache=True)
def ses_sse(z: FloatArray, alpha: float) -> float:
    """Sum of squared one-step errors of simple exponential smoothing from level z[0]:
    ``np.sum(np.square(z - ses(z, alpha)[0]))`` in the same floating-point operations
    (theta.ses's recursion, numpy's summation order), so the same bits."""
    n = len(z)
    keep = alpha - 1.0
    state = (1.0 - alpha) * z[0]
    previous = z[0]
    squares = np.empty(n)
    for i in range(n):
        error = z[i] - previous
        squares[i] = error * error
        level = state + alpha * z[i]
        state = z[i] * 0.0 - level * keep
        previous = level
    return 0.0 + pairwise_sum(squares, 0, n)


# scipy's bounded Brent (optimize._minimize_scalar_bounded) as Theta calls it.
_SQRT_EPS = float(np.sqrt(2.2e-16))
_GOLDEN = float(0.5 * (3.0 - np.sqrt(5.0)))


@njit(cache=True)
def ses_alpha(z: FloatArray, xatol: float, maxiter: int) -> float:
    """The smoothing weight in [0, 1] minimising ``ses_sse(z, alpha)``: scipy's
    ``minimize_scalar(method="bounded")`` step for step (its golden-section and parabolic
    steps, tolerances and stopping rule in the same operations), so the same alpha, with
    the 30-40 evaluations and the search compiled together.
    """
    a, b = 0.0, 1.0
    fulc = a + _GOLDEN * (b - a)
    nfc, xf = fulc, fulc
    rat = e = 0.0
    x = xf
    fx = ses_sse(z, x)
    num = 1
    ffulc = fnfc = fx
    xm = 0.5 * (a + b)
    tol1 = _SQRT_EPS * np.abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    while np.abs(xf - xm) > (tol2 - 0.5 * (b - a)):
        golden = True
        if np.abs(e) > tol1:
            golden = False
            r = (xf - nfc) * (fx - ffulc)
            q = (xf - fulc) * (fx - fnfc)
            p = (xf - fulc) * q - (xf - nfc) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = np.abs(q)
            r = e
            e = rat
            if (np.abs(p) < np.abs(0.5 * q * r)) and (p > q * (a - xf)) and (p < q * (b - xf)):
                rat = (p + 0.0) / q
                x = xf + rat
                if ((x - a) < tol2) or ((b - x) < tol2):
                    si = np.sign(xm - xf) + ((xm - xf) == 0)
                    rat = tol1 * si
            else:
                golden = True
        if golden:
            e = a - xf if xf >= xm else b - xf
            rat = _GOLDEN * e
        si = np.sign(rat) + (rat == 0)
        x = xf + si * np.maximum(np.abs(rat), tol1)
        fu = ses_sse(z, x)
        num += 1
        if fu <= fx:
            if x >= xf:
                a = xf
            else:
                b = xf
            fulc, ffulc = nfc, fnfc
            nfc, fnfc = xf, fx
            xf, fx = x, fu
        else:
            if x < xf:
                a = x
            else:
                b = x
            if (fu <= fnfc) or (nfc == xf):
                fulc, ffulc = nfc, fnfc
                nfc, fnfc = x, fu
            elif (fu <= ffulc) or (fulc == xf) or (fulc == nfc):  # noqa: SIM109 (as scipy: NaN)
                fulc, ffulc = x, fu
        xm = 0.5 * (a + b)
        tol1 = _SQRT_EPS * np.abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        if num >= maxiter:
            break
    return float(xf)


@njit(cache=True)
def step_evidence(scores: FloatArray) -> FloatArray:
    """intervals.lean_of's evidence per step of backtest scores (origins, steps), each
    step's finite scores taken in order: mean / (sd / sqrt(n / k)) for the steps with at
    least two independent errors (n / k >= 2) and a spread, sd numpy's ``std(ddof=1)``
    and both it and the mean summed in numpy's order (``pairwise_sum``), so the same bits
    as ``np.mean`` and ``np.std`` on the selected values."""
    w, h = scores.shape
    out = np.empty(h)
    found = 0
    step = np.empty(max(w, 1))
    squares = np.empty(max(w, 1))
    for k in range(h):
        n = 0
        for i in range(w):
            value = scores[i, k]
            if np.isfinite(value):
                step[n] = value
                n += 1
        independent = n / (k + 1)
        sd = 0.0
        if n > 2:
            centre = pairwise_sum(step, 0, n) / n
            for i in range(n):
                deviation = step[i] - centre
                squares[i] = deviation * deviation
            sd = np.sqrt(pairwise_sum(squares, 0, n) / (n - 1))
        if independent >= 2 and sd > 0:
            out[found] = (pairwise_sum(step, 0, n) / n) / (sd / np.sqrt(independent))
            found += 1
    return out[:found]


@njit(cache=True, error_model="numpy")
def phase_means(values: FloatArray, m: int) -> FloatArray:
    """``np.nanmean(values[i::m])`` for each phase i < m: NaN counted out and summed as 0
    in numpy's order (``pairwise_sum``), so the same bits; a phase with no number is
    0 / 0 as in numpy (numpy's error model: the processor's NaN, not an exception)."""
    n = len(values)
    out = np.empty(m)
    taken = np.empty(n // m + 1)
    for i in range(m):
        k = 0
        count = 0
        for j in range(i, n, m):
            value = values[j]
            if np.isnan(value):
                taken[k] = 0.0
            else:
                taken[k] = value
                count += 1
            k += 1
        out[i] = pairwise_sum(taken, 0, k) / count
    return out
