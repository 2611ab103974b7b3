"""scipy's BFGS as statsforecast's ARIMA calls it, without the per-evaluation overhead.

statsforecast fits every ARIMA with ``scipy.optimize.minimize(fn, x0, args, method="BFGS",
tol=1e-8, options={"maxiter": 100})`` and no gradient, so the gradient is two-point finite
differences. A fit evaluates its likelihood 200-500 times; per evaluation scipy spends more
time in its generic machinery (array-API conversions, bound checks, argument wrappers of
``ScalarFunction`` and ``approx_derivative``) than statsforecast's compiled Kalman filter
spends on the likelihood itself: 60% of an ARIMA fit, a quarter of a whole forecast.

``minimize`` below is that call's path through scipy 1.15 (``_minimize_bfgs``, the
memoised ``ScalarFunction``, ``approx_derivative(method="2-point", abs_step=sqrt(eps))``)
with the same floating-point operations on the same values in the same order, and
scipy's own line searches (``_line_search_wolfe12``): the objective is evaluated at the
same points in the same order (statsforecast's objective updates a shared state space
model in place, so the order matters too) and every number is the same, bit for bit
(tests/models/test_fast_paths.py fits ARIMAs both ways). Any other call goes to scipy.

Adapted from scipy.optimize (BSD-3-Clause, Copyright (c) 2001-2002 Enthought, Inc. and
2003-2024 SciPy Developers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult
from scipy.optimize import minimize as scipy_minimize
from scipy.optimize._optimize import (  # the line searches scipy's BFGS itself calls
    _line_search_wolfe12,
    _LineSearchError,
    _status_message,
    vecnorm,
)

from forecasting.models.base import FloatArray

# scipy's absolute finite-difference step (optimize._optimize._epsilon) and the relative
# one it falls back to where x + step == x (numdiff._eps_for_method, "2-point").
_STEP = math.sqrt(float(np.finfo(float).eps))
_RELATIVE_STEP = float(np.finfo(np.float64).eps) ** 0.5
_OPTIONS = frozenset({"maxiter"})


class _Objective:
    """``ScalarFunction`` with a finite-difference gradient: the value and gradient at the
    last point asked for are kept, and a gradient reuses the value at its point."""

    def __init__(self, fun: Callable[..., Any], x0: FloatArray, args: tuple[Any, ...]) -> None:
        self.fun, self.args = fun, args
        self.nfev = self.ngev = 0
        self.x = np.array(x0, dtype=np.float64)
        self.at = self.x.tolist()
        self.f = self._call(self.x)
        self.g = self._gradient()
        self.f_ok = self.g_ok = True

    def _call(self, x: FloatArray) -> Any:
        self.nfev += 1
        fx = self.fun(np.copy(x), *self.args)
        if type(fx) is not float and not np.isscalar(fx):
            fx = np.asarray(fx).item()
        return fx

    def _move(self, x: FloatArray) -> None:
        # np.array_equal on 1-D points: the lists of two live arrays hold distinct float
        # objects, so this compares every pair with IEEE ==: a NaN anywhere is a new
        # point, -0.0 is the point 0.0.
        at = x.tolist()
        if x.ndim != 1 or at != self.at:
            self.x = np.array(x, dtype=np.float64)
            self.at = self.x.tolist()
            self.f_ok = self.g_ok = False

    def value(self, x: FloatArray) -> Any:
        self._move(x)
        if not self.f_ok:
            self.f, self.f_ok = self._call(self.x), True
        return self.f

    def grad(self, x: FloatArray) -> FloatArray:
        self._move(x)
        if not self.g_ok:
            if not self.f_ok:
                self.f, self.f_ok = self._call(self.x), True
            self.g, self.g_ok = self._gradient(), True
        return self.g

    def _gradient(self) -> FloatArray:
        """approx_derivative's dense two-point differences from ``self.f`` at ``self.x``:
        (f(x + h e_i) - f(x)) / dx_i, dx_i the step as represented. Python floats are the
        same IEEE doubles as numpy's scalars, minus the boxing; a zero or non-finite step
        or value takes numpy's arithmetic (no ZeroDivisionError, the same NaN or inf)."""
        self.ngev += 1
        x0 = self.x
        base = np.atleast_1d(self.f)[0]
        sign = (x0 >= 0).astype(float) * 2 - 1
        dx = (x0 + _STEP) - x0
        h = np.where(dx == 0, _RELATIVE_STEP * sign * np.maximum(1.0, np.abs(x0)), _STEP)
        jac = np.empty(x0.size)
        x1 = x0.copy()
        start, steps = x0.tolist(), h.tolist()
        plain = type(base) is np.float64 and math.isfinite(base)
        for i, (xi, hi) in enumerate(zip(start, steps, strict=True)):
            moved = xi + hi
            x1[i] = moved
            step = moved - xi
            fx = self._call(x1)
            if plain and type(fx) is float and step != 0 and math.isfinite(fx):
                jac[i] = (fx - float(base)) / step
            else:
                value = np.float64(fx) if type(fx) is float else np.atleast_1d(fx)[0]
                jac[i] = (value - base) / np.float64(step)
            x1[i] = xi
        return jac


def minimize(
    fun: Callable[..., Any],
    x0: Any,
    args: Any = (),
    method: str | None = None,
    jac: Any = None,
    hess: Any = None,
    hessp: Any = None,
    bounds: Any = None,
    constraints: Any = (),
    tol: float | None = None,
    callback: Any = None,
    options: dict[str, Any] | None = None,
) -> Any:
    """``scipy.optimize.minimize``: BFGS without a gradient here, anything else in scipy."""
    options = options or {}
    plain = (
        method == "BFGS"
        and jac is None
        and hess is None
        and hessp is None
        and bounds is None
        and not constraints
        and callback is None
        and set(options) <= _OPTIONS
    )
    start = np.atleast_1d(np.asarray(x0))
    if not plain or start.ndim != 1 or start.dtype.kind not in "f":
        return scipy_minimize(
            fun, x0, args, method, jac, hess, hessp, bounds, constraints, tol, callback, options
        )
    gtol = 1e-5 if tol is None else tol
    return _bfgs(fun, start, args if isinstance(args, tuple) else (args,), gtol, options)


def _bfgs(
    fun: Callable[..., Any],
    x0: FloatArray,
    args: tuple[Any, ...],
    gtol: float,
    options: dict[str, Any],
) -> Any:
    """scipy's ``_minimize_bfgs`` (norm inf, c1 1e-4, c2 0.9, xrtol 0, no callback)."""
    x0 = np.asarray(x0).flatten()
    maxiter = options.get("maxiter")
    if maxiter is None:
        maxiter = len(x0) * 200
    sf = _Objective(fun, x0, args)
    f, fprime = sf.value, sf.grad
    old_fval = f(x0)
    gfk = fprime(x0)
    k = 0
    eye = np.eye(len(x0), dtype=int)
    hk: Any = eye
    old_old_fval = old_fval + np.linalg.norm(gfk) / 2
    xk = x0
    warnflag = 0
    gnorm = vecnorm(gfk, ord=np.inf)
    while (gnorm > gtol) and (k < maxiter):
        pk = -np.dot(hk, gfk)
        try:
            alpha_k, _, _, old_fval, old_old_fval, gfkp1 = _line_search_wolfe12(
                f,
                fprime,
                xk,
                pk,
                gfk,
                old_fval,
                old_old_fval,
                amin=1e-100,
                amax=1e100,
                c1=1e-4,
                c2=0.9,
            )
        except _LineSearchError:
            warnflag = 2
            break
        sk = alpha_k * pk
        xkp1 = xk + sk
        xk = xkp1
        if gfkp1 is None:
            gfkp1 = fprime(xkp1)
        yk = gfkp1 - gfk
        gfk = gfkp1
        k += 1
        gnorm = vecnorm(gfk, ord=np.inf)
        if gnorm <= gtol:
            break
        if alpha_k * vecnorm(pk) <= 0 * (0 + vecnorm(xk)):
            break
        if not np.isfinite(old_fval):
            warnflag = 2
            break
        rhok_inv = np.dot(yk, sk)
        rhok = 1000.0 if rhok_inv == 0.0 else 1.0 / rhok_inv
        a1 = eye - sk[:, np.newaxis] * yk[np.newaxis, :] * rhok
        a2 = eye - yk[:, np.newaxis] * sk[np.newaxis, :] * rhok
        hk = np.dot(a1, np.dot(hk, a2)) + (rhok * sk[:, np.newaxis] * sk[np.newaxis, :])
    fval = old_fval
    if warnflag == 2:
        msg = _status_message["pr_loss"]
    elif k >= maxiter:
        warnflag = 1
        msg = _status_message["maxiter"]
    elif np.isnan(gnorm) or np.isnan(fval) or np.isnan(xk).any():
        warnflag = 3
        msg = _status_message["nan"]
    else:
        msg = _status_message["success"]
    return OptimizeResult(
        fun=fval,
        jac=gfk,
        hess_inv=hk,
        nfev=sf.nfev,
        njev=sf.ngev,
        status=warnflag,
        success=(warnflag == 0),
        message=msg,
        x=xk,
        nit=k,
    )
