"""Policies decide, processes act. Import order registers the built-in kinds."""

from simchain.policies import routing as _routing_kinds
from simchain.policies import stocking as _stocking_kinds
from simchain.policies.registry import routing, stocking
from simchain.policies.routing import RoutingPolicy
from simchain.policies.stocking import StockingPolicy

__all__ = ["RoutingPolicy", "StockingPolicy", "routing", "stocking"]
del _routing_kinds, _stocking_kinds
