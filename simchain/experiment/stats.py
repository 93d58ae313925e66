"""Confidence intervals over replications, and paired comparisons against a baseline.

The t quantile is computed here (the exact Student t distribution for integer degrees of
freedom, inverted by bisection) so that the runtime needs no statistics package.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

LEVEL = 0.95


def _t_central(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with `df` degrees of freedom (closed form for integer df)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        term, total = 1.0, 0.0
        if df > 1:
            total = term = math.cos(theta)
            for k in range(3, df - 1, 2):  # cos * (1 + 2/3 cos^2 + 2*4/(3*5) cos^4 + ...)
                term *= c2 * (k - 1) / k
                total += term
        return 2 / math.pi * (theta + s * total)
    term = total = 1.0
    for k in range(2, df - 1, 2):  # 1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ...
        term *= c2 * (k - 1) / k
        total += term
    return s * total


def t_quantile(df: int, level: float = LEVEL) -> float:
    """The two-sided `level` critical value of Student's t: P(|T| <= value) = level."""
    if df < 1:
        return math.nan
    lo, hi = 0.0, 1.0
    while _t_central(hi, df) < level:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if _t_central(mid, df) < level:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return (lo + hi) / 2


def interval(values: np.ndarray | pd.Series, level: float = LEVEL) -> dict[str, float]:
    """n, mean, sample std and the t confidence interval of the mean (NaNs ignored)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    half = t_quantile(n - 1, level) * std / math.sqrt(n) if n > 1 else math.nan
    return {
        "n": n,
        "mean": mean,
        "std": std,
        "ci_half_width": half,
        "ci_low": mean - half,
        "ci_high": mean + half,
    }


def summary(runs: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Per variant, point and metric: n, mean, std and the 95 % CI over the successful runs."""
    ok = runs[runs["status"] == "ok"]
    rows = []
    for (variant, point), group in ok.groupby(["variant", "point"], sort=True):
        for metric in metrics:
            values = group[metric] if metric in group else pd.Series(dtype=float)
            rows.append({"variant": variant, "point": point, "metric": metric, **interval(values)})
    return pd.DataFrame(rows)


def comparison(
    runs: pd.DataFrame, metrics: list[str], baseline: str, variants: list[str] | None = None
) -> pd.DataFrame:
    """Per variant, point and metric: the variant's mean, and the mean of its differences
    from the baseline replication by replication (paired: both saw the same random numbers)
    with a 95 % CI; `rank` orders the variants of a point by mean, 1 = highest."""
    ok = runs[runs["status"] == "ok"]
    rows = []
    for point, at_point in ok.groupby("point", sort=True):
        base = at_point[at_point["variant"] == baseline].set_index("replication")
        for variant, group in at_point.groupby("variant", sort=True):
            mine = group.set_index("replication")
            for metric in metrics:
                if metric not in mine:
                    continue
                paired = mine[metric].sub(base[metric]) if metric in base else mine[metric] * np.nan
                diff = interval(paired.dropna())
                rows.append(
                    {
                        "variant": variant,
                        "point": point,
                        "metric": metric,
                        "mean": float(mine[metric].mean()),
                        "n_pairs": diff["n"],
                        "diff_mean": diff["mean"],
                        "diff_std": diff["std"],
                        "diff_ci_half_width": diff["ci_half_width"],
                        "diff_ci_low": diff["ci_low"],
                        "diff_ci_high": diff["ci_high"],
                    }
                )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["rank"] = (
        out.groupby(["point", "metric"])["mean"].rank(ascending=False, method="min").astype("Int64")
    )
    # The baseline first, then the variants as the experiment lists them.
    listed = [baseline, *(v for v in variants or sorted(out["variant"].unique()) if v != baseline)]
    out["_m"] = out["metric"].map({m: i for i, m in enumerate(metrics)})
    out["_v"] = out["variant"].map({v: i for i, v in enumerate(listed)}).fillna(len(listed))
    out = out.sort_values(["point", "_m", "_v", "variant"], kind="stable")
    return out.drop(columns=["_m", "_v"]).reset_index(drop=True)
