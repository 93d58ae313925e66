"""Transport: trucks on scheduled lanes, hub legs, the final leg with its carrier choice, and
the region's couriers.

A parcel's delivery time is fixed when it is handed to the final carrier (the couriers are
booked then), so it is stamped then and costs no event; the end of the run (`settle`) keeps
the deliveries before the horizon and leaves the rest in transit. Only a parcel whose customer
will send something back has a delivery event (returns start from it): one agenda entry, or
a ride on its truck's arrival event. A truck departure is one event for everything aboard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, cast

import numpy as np
import simpy
from simpy.events import Timeout

from simchain.model import orders as st
from simchain.model.agenda import Agenda
from simchain.model.carriers import Couriers, Schedule, Truck
from simchain.model.network import CarrierOption, LaneKey, Network, Path
from simchain.model.orders import OrderBook
from simchain.policies.carriers import DEFAULT, CarrierView
from simchain.recording import NAN, Columns
from simchain.scenario.distributions import Sampler

SHIPMENT_COLUMNS = {
    "origin": "h",
    "destination": "h",
    "carrier": "b",
    "scheduled": "d",
    "departure": "d",
    "arrival": "d",
    "capacity": "d",
    "units": "q",
    "shipments": "q",
}


class TripPart(NamedTuple):
    """One part of a shipment on a lane: hours from hand-over to arrival, units, and the
    truck that carries it (None: the caller schedules its own arrival)."""

    delay: float
    units: int
    truck: Truck | None


class ParcelLeg(NamedTuple):
    """A parcel about to travel leg `leg` of its path."""

    oid: int
    path: Path
    leg: int


class Transport:
    """Lanes, trucks, hubs, carriers and couriers during a run. Owns the lanes' timetables and
    bookings, the trucks, the regions' courier bookings and the shipments log; stamps the
    order book's shipping columns (shipped, hub, carrier, transport cost, delivered). Calls
    `delivered(oid)`, if given, at the delivery of each order with units to return
    (returns), and hands replenishment loads to the callbacks its callers put aboard."""

    def __init__(
        self,
        network: Network,
        env: simpy.Environment,
        agenda: Agenda,
        book: OrderBook,
        delivered: Callable[[int], None] | None,
    ):
        self.net = network
        self.env = env
        self.agenda = agenda
        self.book = book
        self.on_delivered = delivered
        self.lanes = network.lanes
        self.schedules = {
            key: Schedule(lane.departures, network.start, lane.transit)
            for key, lane in network.lanes.items()
            if lane.departures is not None
        }
        self.couriers = [
            Couriers(r.courier_capacity, network.start) if r.courier_capacity else None
            for r in network.regions
        ]
        self.log = Columns(SHIPMENT_COLUMNS)

    # --- lanes and trucks ------------------------------------------------------------------

    def trip(
        self, key: LaneKey, amount: int, transit: Sampler, by_truck: bool = True
    ) -> list[TripPart]:
        """The parts of a shipment handed over now on a lane: waiting for a closed lane to
        reopen and, on a scheduled lane, for a departure with room (a large shipment may take
        several); the caller puts each part aboard its truck, or schedules its own arrival
        where the truck is None (unscheduled lanes draw one transit per shipment, slowed by a
        disruption)."""
        now = self.env.now
        gate = self.lanes[key].gate
        schedule = self.schedules.get(key) if by_truck else None
        if gate is None and schedule is None:
            return [TripPart(transit(), amount, None)]
        ready = gate.departure(now) if gate is not None else now
        if schedule is None:
            assert gate is not None
            return [TripPart(ready - now + transit() * gate.transit_factor(ready), amount, None)]
        out = []
        for i, units in schedule.take(ready, amount):
            truck = schedule.trucks.get(i)
            if truck is None:
                truck = schedule.trucks[i] = self._truck(key, schedule, i)
            truck.units += units
            truck.shipments += 1
            # A truck with no transit may already have unloaded at this very instant.
            out.append(TripPart(truck.arrival - now, units, None if truck.unloaded else truck))
        return out

    def _truck(self, key: LaneKey, schedule: Schedule, i: int) -> Truck:
        """Departure i gets its first load: fix its transit (its own draw, slowed by a
        disruption at its leaving time) and schedule its one arrival event."""
        gate = self.lanes[key].gate
        leave = schedule.times[i]
        factor = 1.0
        if gate is not None:  # a departure inside a closure waits for the reopening
            leave = gate.departure(leave)
            factor = gate.transit_factor(leave)
        truck = Truck(leave, leave + schedule.transits[i] * factor)
        self.agenda.schedule(truck.arrival - self.env.now, truck, self._unloaded)
        return truck

    def _unloaded(self, event: Timeout) -> None:
        """A truck arrives: hand over everything aboard, in booking order."""
        truck = cast(Truck, event.value)
        truck.unloaded = True
        loads, truck.loads = truck.loads, []
        for hand_over, load in loads:
            hand_over(load)

    # --- parcels ---------------------------------------------------------------------------

    def ship_order(self, oid: int, warehouse: int) -> None:
        """Hand a packed order to the carrier of the first leg of its path to its region."""
        o = self.book.o
        path = self.net.regions[o.region[oid]].paths[warehouse]
        event = o.presale_event[oid]
        # A pre-positioned parcel with its own transit leaves from near the buyers: it does
        # not ride the lane's trucks, nor pass the path's hubs.
        own = self.net.presale_transit[event] if event >= 0 else None
        if len(path.legs) == 1 or own is not None:
            self._final_leg(oid, path, own)
            return
        o.shipped[oid] = self.env.now
        o.status[oid] = st.IN_TRANSIT
        o.hub[oid] = path.hubs[0]
        # Charged in full at hand-over, the final leg with the lane's own carrier until a
        # carrier takes it (_final_leg).
        o.carrier[oid] = 0
        units = o.units[oid] - o.units_lost[oid]
        o.transport_cost[oid] = path.cost * units + self.lanes[path.legs[-1]].cost_per_parcel
        self._hub_leg(ParcelLeg(oid, path, 0))

    def _hub_leg(self, load: ParcelLeg) -> None:
        """Send a parcel on leg k of its path, to a hub, then on after the hub's handling:
        without a truck, one event covers the leg and the handling; with one, the handling
        starts when the truck unloads."""
        oid, path, k = load
        key = path.legs[k]
        ((delay, _, truck),) = self.trip(key, 1, self.lanes[key].transit)
        onward = ParcelLeg(oid, path, k + 1)
        if truck is not None:
            truck.loads.append((self._at_hub, onward))
        else:
            handling = self.net.hub_handling[path.hubs[k]]()
            self.agenda.schedule(delay + handling, onward, self._handled)

    def _at_hub(self, load: ParcelLeg) -> None:
        """A truck unloads a parcel at a hub: handling, then the next leg."""
        handling = self.net.hub_handling[load.path.hubs[load.leg - 1]]()
        if handling > 0:
            self.agenda.schedule(handling, load, self._handled)
        else:
            self._next_leg(load)

    def _handled(self, event: Timeout) -> None:
        self._next_leg(cast(ParcelLeg, event.value))

    def _next_leg(self, load: ParcelLeg) -> None:
        if load.leg < len(load.path.legs) - 1:
            self._hub_leg(load)
        else:
            self._final_leg(load.oid, load.path, None)

    def _final_leg(self, oid: int, path: Path, own: Sampler | None) -> None:
        """Hand a parcel to a carrier of the lane into its region (chosen now), booking the
        region's couriers for its arrival; `own`: a pre-positioned parcel's own transit."""
        o = self.book.o
        now = self.env.now
        r = o.region[oid]
        options = self.net.regions[r].carriers[path.legs[-1][0]]
        pick = 0 if len(options) == 1 else self._choose_carrier(oid, options)
        code, key, _, own_couriers = options[pick]
        if own is not None or len(path.legs) == 1:
            o.shipped[oid] = now
            o.status[oid] = st.IN_TRANSIT
        o.carrier[oid] = code
        lane = self.lanes[key]
        units = o.units[oid] - o.units_lost[oid]
        per_unit = path.before + lane.cost_per_unit
        o.transport_cost[oid] = per_unit * units + lane.cost_per_parcel
        ((delay, _, truck),) = self.trip(key, 1, own or lane.transit, by_truck=own is None)
        arrival = truck.arrival if truck is not None else now + delay
        couriers = None if own_couriers else self.couriers[r]
        at = couriers.delivery_time(arrival) if couriers is not None else arrival
        # Known now, so stamped now: no event unless someone listens for the delivery.
        o.delivered[oid] = at
        if self.on_delivered is None or not o.units_to_return[oid]:
            return
        if truck is not None and at == arrival:
            truck.loads.append((self.on_delivered, oid))  # delivered as the truck arrives
        else:
            self.agenda.schedule(at - now if couriers is not None else delay, oid, self._delivered)

    def _parcel_cost(self, key: LaneKey, oid: int) -> float:
        """What a lane's carrier charges for an order: per unit shipped, plus per parcel."""
        o = self.book.o
        lane = self.lanes[key]
        return lane.cost_per_unit * (o.units[oid] - o.units_lost[oid]) + lane.cost_per_parcel

    def _choose_carrier(self, oid: int, options: tuple[CarrierOption, ...]) -> int:
        """Ask the carrier choice policy, with each carrier's cost for this parcel and its
        expected arrival (next departure with room, then the mean transit)."""
        o = self.book.o
        now = self.env.now
        wanted = self.net.regions[o.region[oid]].class_carrier.get(int(o.service[oid]), -1)
        views = []
        for code, key, mean, _ in options:
            gate = self.lanes[key].gate
            ready = gate.departure(now) if gate is not None else now
            schedule = self.schedules.get(key)
            leave = schedule.next_departure(ready) if schedule is not None else ready
            factor = gate.transit_factor(leave) if gate is not None else 1.0
            views.append(
                CarrierView(
                    self.net.carrier_names[code],
                    self._parcel_cost(key, oid),
                    leave + mean * factor,
                    code == wanted,
                )
            )
        return self.net.carrier_choice.choose(views, o.promised[oid])

    def _delivered(self, event: Timeout) -> None:
        """A parcel whose customer will send something back is delivered now."""
        assert self.on_delivered is not None
        self.on_delivered(cast(int, event.value))

    def settle(self, horizon: float) -> None:
        """At the end of a run: parcels whose stamped delivery is before the horizon are
        delivered; the others are still in transit and have no delivery time (an event at
        the horizon itself does not run)."""
        o = self.book.o
        if not len(o.delivered):
            return
        delivered = np.frombuffer(o.delivered, dtype=np.float64)
        status = np.frombuffer(o.status, dtype=np.int8)
        done = delivered < horizon
        status[done] = st.DELIVERED
        delivered[~done] = np.nan
        del delivered, status  # the views pin the columns' buffers

    # --- the record --------------------------------------------------------------------------

    def record_shipments(self) -> None:
        """One row per departure of a scheduled lane before the horizon (empty ones carry 0
        units), and per later departure already loaded."""
        c = self.log.cols
        net = self.net
        for (w, dest), schedule in self.schedules.items():  # w: origin code
            gate = self.lanes[(w, dest)].gate
            n = schedule.departures_before(net.horizon)
            for i in sorted(set(range(n)) | set(schedule.trucks)):
                truck = schedule.trucks.get(i)
                place, _, carrier = dest.partition(":")
                c["origin"].append(w)
                c["destination"].append(net.place_names.index(place))
                c["carrier"].append(net.carrier_names.index(carrier or DEFAULT))
                c["scheduled"].append(schedule.times[i])
                if truck is None:
                    leave = schedule.times[i]
                    c["departure"].append(gate.departure(leave) if gate is not None else leave)
                    c["arrival"].append(NAN)
                else:
                    c["departure"].append(truck.departure)
                    c["arrival"].append(truck.arrival)
                c["capacity"].append(schedule.capacity[i])
                c["units"].append(truck.units if truck else 0)
                c["shipments"].append(truck.shipments if truck else 0)
