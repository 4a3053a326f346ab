"""The simulation's knobs per host: what a real host's hardware and network
would decide, set here to rehearse failures (PATCH /sim/hosts/{host}). Kept
apart from the inventory, which holds only what vSphere reports; the connection
state is the one vSphere property the simulation also sets.

A knob is declared once in `KNOBS` (its bounds and what it means); the table,
the /sim API's validation and its answer follow from that list."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import delete, select, update

from vlcmsim.depot.online import DepotFaults
from vlcmsim.store import schema
from vlcmsim.store.cache import TTLSnapshot
from vlcmsim.store.db import Store

VERSION = "sim_hosts_version"  # bumped by every write of the knobs
MAX_KNOB = 2**62  # bound on every integer knob: fits a BIGINT with room
RUN_MAX_AGE = 0.5  # seconds a stage's per-payload look at the knobs may be old (a change is seen that soon)


@dataclass(frozen=True)
class HostKnobs:
    bandwidth_bytes_per_s: int = 0  # the host's link to the depot; 0 = unlimited
    staging_capacity_bytes: int = 64 * 1024**3  # size of the host's staging area
    corrupt_downloads: int = 0  # the next N payload downloads arrive with a flipped byte
    vm_count: int = 4  # VMs the host runs: entering maintenance mode moves (or powers off) them
    fail_maintenance_mode: int = 0  # the next N tries to enter maintenance mode fail
    fail_installs: int = 0  # the next N installs fail
    hang_on_reboot: int = 0  # the next N reboots never come back (the host stays NOT_RESPONDING)
    rebooting: int = 0  # state, not a knob: 1 while a simulated reboot runs


KNOBS = tuple(f.name for f in fields(HostKnobs))
SETTABLE = tuple(k for k in KNOBS if k != "rebooting")  # what PATCH /sim/hosts may change


class SimKnobs:
    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self.store = store
        self._snapshot = TTLSnapshot(self._load, ttl, lambda: store.version(VERSION))

    def _load(self) -> dict[str, HostKnobs]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.sim_hosts)).all()
        return {r.host: HostKnobs(**{k: int(getattr(r, k)) for k in KNOBS}) for r in rows}

    def get(self, host: str, max_age: float = 0.0) -> HostKnobs:
        """A host's knobs (`max_age`: as they were at most that long ago, for a stage's hot loop)."""
        return self._snapshot.get(max_age).get(host) or HostKnobs()

    def seed(self, knobs: dict[str, HostKnobs]) -> None:
        """The knobs of new hosts, in one transaction."""
        if knobs:
            with self.store.engine.begin() as conn:
                Store.bump(conn, VERSION)
                conn.execute(schema.sim_hosts.insert(), [{"host": h, **_values(k)} for h, k in knobs.items()])
        self._snapshot.invalidate()

    def set_vm_counts(self, counts: dict[str, int]) -> None:
        """The VMs each host runs, for many hosts in one transaction (an estate's)."""
        by_count: dict[int, list[str]] = {}
        for host, n in counts.items():
            by_count.setdefault(n, []).append(host)
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            for n, hosts in by_count.items():
                for i in range(0, len(hosts), 500):  # bounded IN lists
                    conn.execute(
                        update(schema.sim_hosts)
                        .where(schema.sim_hosts.c.host.in_(hosts[i : i + 500]))
                        .values(vm_count=n)
                    )
        self._snapshot.invalidate()

    def set(self, host: str, **changes: Any) -> HostKnobs:
        knobs = replace(self.get(host), **changes)
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            done = conn.execute(
                update(schema.sim_hosts).where(schema.sim_hosts.c.host == host).values(**_values(knobs))
            ).rowcount
            if not done:
                conn.execute(schema.sim_hosts.insert().values(host=host, **_values(knobs)))
        self._snapshot.invalidate()
        return knobs

    def rebooting(self) -> list[str]:
        """The hosts marked as rebooting (read from the store: at start, before any snapshot)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.sim_hosts.c.host).where(schema.sim_hosts.c.rebooting > 0)).all()
        return [r.host for r in rows]

    def forget(self, host: str) -> None:
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(delete(schema.sim_hosts).where(schema.sim_hosts.c.host == host))
        self._snapshot.invalidate()

    def take_corrupt_download(self, host: str) -> bool:
        """Whether the next download of `host` arrives corrupted (using one up)."""
        return self.take(host, "corrupt_downloads")

    def take(self, host: str, knob: str) -> bool:
        """Whether a counted fault (`corrupt_downloads`, `fail_installs`...) is due now, using one up."""
        left: int = getattr(self.get(host, RUN_MAX_AGE), knob)  # a write, when due, checks again
        if left > 0:
            left = getattr(self.get(host), knob)
        if left > 0:
            self.set(host, **{knob: left - 1})
        return left > 0


def _values(knobs: HostKnobs) -> dict[str, int]:
    return {k: getattr(knobs, k) for k in KNOBS}


class DepotKnobs:
    """The faults of each online depot (`/sim/depots/{depot}`), read by every sync."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, depot: str) -> DepotFaults:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.sim_depots).where(schema.sim_depots.c.depot == depot)).first()
        if row is None:
            return DepotFaults()
        return DepotFaults(
            bool(row.unreachable),
            int(row.bandwidth_bytes_per_s),
            bool(row.corrupt_metadata),
            bool(row.corrupt_payloads),
        )

    def set(self, depot: str, **changes: Any) -> DepotFaults:
        faults = replace(self.get(depot), **changes)
        values = {f.name: getattr(faults, f.name) for f in fields(DepotFaults)}
        with self.store.engine.begin() as conn:
            conn.execute(delete(schema.sim_depots).where(schema.sim_depots.c.depot == depot))
            conn.execute(schema.sim_depots.insert().values(depot=depot, **values))
        return faults
