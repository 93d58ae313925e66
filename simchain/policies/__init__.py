"""Policies decide, processes act. Import order registers the built-in kinds."""

from simchain.policies import routing as _routing_kinds
from simchain.policies import sourcing as _sourcing_kinds
from simchain.policies import stocking as _stocking_kinds
from simchain.policies.registry import routing, sourcing, stocking
from simchain.policies.routing import RoutingPolicy
from simchain.policies.sourcing import SourcingPolicy
from simchain.policies.stocking import StockingPolicy

__all__ = ["RoutingPolicy", "SourcingPolicy", "StockingPolicy", "routing", "sourcing", "stocking"]
del _routing_kinds, _sourcing_kinds, _stocking_kinds
