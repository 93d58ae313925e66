"""Policies decide, processes act. Import order registers the built-in kinds."""

from simchain.policies import carriers as _carrier_kinds
from simchain.policies import routing as _routing_kinds
from simchain.policies import sourcing as _sourcing_kinds
from simchain.policies import stocking as _stocking_kinds
from simchain.policies.carriers import CarrierPolicy
from simchain.policies.registry import carriers, routing, sourcing, stocking
from simchain.policies.routing import RoutingPolicy
from simchain.policies.sourcing import SourcingPolicy
from simchain.policies.stocking import StockingPolicy

__all__ = [
    "CarrierPolicy",
    "RoutingPolicy",
    "SourcingPolicy",
    "StockingPolicy",
    "carriers",
    "routing",
    "sourcing",
    "stocking",
]
del _carrier_kinds, _routing_kinds, _sourcing_kinds, _stocking_kinds
