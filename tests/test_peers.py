"""The peer benchmark (benchmarks/peers.py): both tools simulate the same network and see the
same demand, and a missing peer is a message, not a failure."""

from __future__ import annotations

import math

import pytest

from benchmarks import peers

DAYS = 10.0


def test_both_tools_see_comparable_demand() -> None:
    pytest.importorskip(peers.PEER_MODULE)
    result = peers.peer_bench(days=DAYS, repeats=1)
    ours, theirs = result["simchain"], result["supplynetpy"]
    expected = peers.RETAILERS * peers.ORDERS_PER_DAY * DAYS
    sd = math.sqrt(expected)  # Poisson: the variance is the mean
    for row in (ours, theirs):
        assert abs(row["orders"] - expected) < 5 * sd
        assert 0.0 <= row["fill_rate"] <= 1.0
        assert row["units_sold"] <= row["orders"]  # one unit an order
        assert row["seconds"] > 0 and row["orders_per_s"] > 0
    assert abs(ours["orders"] - theirs["orders"]) < 5 * math.sqrt(2) * sd
    assert abs(ours["fill_rate"] - theirs["fill_rate"]) < 0.1
    assert result["ratio"] == pytest.approx(ours["orders_per_s"] / theirs["orders_per_s"])


def test_a_missing_peer_is_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(peers, "PEER_MODULE", "no_such_peer_simulator.Components")
    with pytest.raises(peers.PeerMissingError, match="pip install supplynetpy"):
        peers.peer_bench(days=1.0, repeats=1)
    peers.main(["--days", "1", "--repeats", "1"])  # returns: `make bench` goes on
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1
    assert "pip install supplynetpy" in out
