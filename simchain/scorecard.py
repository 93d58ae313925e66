"""The supplier scorecard (`suppliers.parquet`): what planners review when they rate vendors.

Computed from the replenishments table over the purchase orders placed in the observation
window. An order is judged on time when it arrived by the date the supplier confirmed; orders
whose confirmed date falls after the horizon are not judged yet, and an order past its date
and not received by the horizon counts as late.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simchain.scenario.schema import Scenario
from simchain.window import Window

COLUMNS = (
    "supplier",
    "orders",
    "units_ordered",
    "units_received",
    "units_rejected",
    "on_time_rate",
    "fill_rate",
    "defect_rate",
    "lead_time_mean_d",
    "lead_time_p95_d",
    "purchase_cost",
)


def purchases_in_window(rep: pd.DataFrame, sc: Scenario, w: Window) -> pd.DataFrame:
    """Purchase-order rows placed in the window, with `accepted` units, their `cost` and the
    `judged` / `on_time` flags (see the module docstring)."""
    p = rep[(rep["kind"] == "purchase") & (rep["placed"] >= w.begin)].copy()
    p["accepted"] = p["quantity"] - p["rejected"]
    p["judged"] = p["due"] < w.end
    p["on_time"] = p["received"].notna() & (p["received"] <= p["due"])
    price = [sc.unit_price(str(s), str(k)) for s, k in zip(p["source"], p["sku"], strict=True)]
    p["cost"] = p["accepted"] * np.asarray(price, dtype=float)
    return p


def score(p: pd.DataFrame) -> dict[str, float]:
    """Scorecard figures of some purchase orders (rows of `purchases_in_window`): on-time
    rate, fill rate (units accepted by the confirmed date / units ordered, judged orders),
    defect rate (rejected / received units), lead time placed -> received in days (mean, p95),
    and purchase cost (accepted units x unit price; an order open at the horizon counts in
    full)."""
    got = p[p["received"].notna()]
    judged = p[p["judged"]]
    lead = (got["received"] - got["placed"]).to_numpy() / np.timedelta64(1, "D")
    received = float(got["quantity"].sum())
    return {
        "orders": float(len(p)),
        "units_ordered": float(p["quantity"].sum()),
        "units_received": received,
        "units_rejected": float(got["rejected"].sum()),
        "on_time_rate": _ratio(float(judged["on_time"].sum()), len(judged)),
        "fill_rate": _ratio(
            float(judged.loc[judged["on_time"], "accepted"].sum()),
            float(judged["quantity"].sum()),
        ),
        "defect_rate": _ratio(float(got["rejected"].sum()), received),
        "lead_time_mean_d": float(lead.mean()) if len(lead) else float("nan"),
        "lead_time_p95_d": float(np.percentile(lead, 95)) if len(lead) else float("nan"),
        "purchase_cost": float(p["cost"].sum()),
    }


def supplier_scorecard(rep: pd.DataFrame, sc: Scenario, w: Window) -> pd.DataFrame:
    """One row per supplier, the `score` of its purchase orders placed in the window."""
    p = purchases_in_window(rep, sc, w)
    rows = [{"supplier": name, **score(p[p["source"] == name])} for name in sc.suppliers]
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("orders", "units_ordered", "units_received", "units_rejected"):
        out[col] = out[col].astype(np.int64)
    out["supplier"] = pd.Categorical(out["supplier"], categories=list(sc.suppliers))
    return out


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")
