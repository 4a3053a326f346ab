"""The virtual machines each host runs, as vim25 shows them: a host's
`vm_count` knob says how many it runs powered on; entering maintenance mode
moves them to the other hosts of its cluster (DRS) or the apply policy powers
them off or suspends them first. The knob follows every change here, so that
vLCM's checks and the simulation count the same VMs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select, update

from vlcmsim.store import schema
from vlcmsim.store.cache import TTLSnapshot
from vlcmsim.store.changes import changes
from vlcmsim.store.db import Store

VERSION = "vms_version"
POWER_STATES = ("poweredOn", "poweredOff", "suspended")


@dataclass(frozen=True)
class VirtualMachine:
    id: str
    name: str
    host: str
    power_state: str
    uuid: str
    solution: str | None = None  # "cluster/solution" for a system VM of a vLCM solution (not a workload)


class VmCounts(Protocol):
    """Where each host's VM count is kept (the simulation's knobs: vlcmsim.sim.knobs.SimKnobs)."""

    def get(self, host: str, max_age: float = 0.0) -> Any: ...

    def set(self, host: str, **changes: Any) -> Any: ...


class MoveRefused(Exception):
    """No host can take a VM (vSphere: the host cannot enter maintenance mode)."""


@dataclass
class _Snapshot:
    by_id: dict[str, VirtualMachine]  # in id order
    by_host: dict[str, list[VirtualMachine]]  # each host's, in id order: a host's VMs are not a scan of all


class VirtualMachines:
    def __init__(self, store: Store, knobs: VmCounts, ttl: float = 1.0) -> None:
        self.store = store
        self.knobs = knobs
        self._snapshot = TTLSnapshot(self._load, ttl, lambda: store.version(VERSION))

    def _load(self) -> _Snapshot:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.vms)).all()
        vms = [VirtualMachine(r.id, r.name, r.host, r.power_state, r.uuid, r.solution) for r in rows]
        vms.sort(key=lambda v: int(v.id.rsplit("-", 1)[-1]))
        snapshot = _Snapshot({v.id: v for v in vms}, {})
        for v in vms:
            snapshot.by_host.setdefault(v.host, []).append(v)
        return snapshot

    # -- reads ---------------------------------------------------------------------

    def all(self) -> list[VirtualMachine]:
        return list(self._snapshot.get().by_id.values())

    def get(self, vm_id: str) -> VirtualMachine | None:
        return self._snapshot.get().by_id.get(vm_id)

    def on_host(self, host: str) -> list[VirtualMachine]:
        return list(self._snapshot.get().by_host.get(host, ()))

    def running(self, host: str) -> int:
        """The workloads the host runs (a solution's system VMs are not its workloads)."""
        return sum(1 for v in self.on_host(host) if v.power_state == "poweredOn" and v.solution is None)

    # -- writes --------------------------------------------------------------------

    def reconcile(self, counts: dict[str, int], names: dict[str, str]) -> None:
        """Each host of `counts` runs that many VMs powered on: VMs are made (named
        after the host) or the newest removed. One transaction for them all."""
        add: list[dict[str, str]] = []
        remove: list[str] = []
        for host, wanted in counts.items():
            on = [v for v in self.on_host(host) if v.power_state == "poweredOn" and not v.solution]
            if len(on) > wanted:
                remove += [v.id for v in on[wanted:]]
            for _ in range(wanted - len(on)):
                add.append({"host": host})
        if not add and not remove:
            return
        ids = iter(self.store.next_ids("vm", len(add))) if add else iter(())
        rows = []
        for row in add:
            n = next(ids)
            short = names.get(row["host"], row["host"]).split(".")[0]
            rows.append(
                {
                    "id": f"vm-{n}",
                    "name": f"{short}-vm{n}",
                    "host": row["host"],
                    "power_state": "poweredOn",
                    "uuid": str(uuid.uuid4()),
                }
            )
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            if rows:
                conn.execute(schema.vms.insert(), rows)
            if remove:
                conn.execute(delete(schema.vms).where(schema.vms.c.id.in_(remove)))
        self._written(counts)

    def evacuate(self, host: str, targets: Iterable[str], power_off: str | None) -> list[tuple[VirtualMachine, str]]:
        """Empty `host` before maintenance mode: with `power_off` ("poweredOff" or
        "suspended") its powered-on VMs take that state where they are; else they move,
        one at a time, to the target that runs fewest (DRS's simplest balance). Returns
        the moves made (VM, new host); MoveRefused when VMs must move and nowhere can."""
        on = [v for v in self.on_host(host) if v.power_state == "poweredOn" and v.solution is None]
        if not on:
            return []
        if power_off is not None:
            with self.store.engine.begin() as conn:
                Store.bump(conn, VERSION)
                conn.execute(
                    update(schema.vms).where(schema.vms.c.id.in_([v.id for v in on])).values(power_state=power_off)
                )
            self._written({host: 0})
            return []
        load = {t: self.running(t) for t in targets if t != host}
        if not load:
            raise MoveRefused(f"{len(on)} powered-on virtual machine(s) and no other host to move them to")
        moves: list[tuple[VirtualMachine, str]] = []
        for vm in on:
            target = min(load, key=lambda t: (load[t], t))
            load[target] += 1
            moves.append((vm, target))
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            for vm, target in moves:
                conn.execute(update(schema.vms).where(schema.vms.c.id == vm.id).values(host=target))
        self._written({host: 0, **load})
        return moves

    def forget_host(self, host: str) -> None:
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(delete(schema.vms).where(schema.vms.c.host == host))
        self._snapshot.invalidate()
        changes.notify()

    def _written(self, counts: dict[str, int]) -> None:
        self._snapshot.invalidate()
        for host in counts:
            running = self.running(host)
            if self.knobs.get(host).vm_count != running:
                self.knobs.set(host, vm_count=running)
        changes.notify()

    def seed(self, vms: dict[str, list[tuple[str, str]]]) -> dict[str, int]:
        """Each host runs these VMs (name, power state) and no others: an estate's, all in one
        transaction. Returns how many each host runs powered on (its vm_count knob's value)."""
        count = sum(len(v) for v in vms.values())
        ids = iter(self.store.next_ids("vm", count)) if count else iter(())
        rows = [
            {"id": f"vm-{next(ids)}", "name": name, "host": host, "power_state": state, "uuid": str(uuid.uuid4())}
            for host, listed in vms.items()
            for name, state in listed
        ]
        hosts = list(vms)
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            for i in range(0, len(hosts), 500):
                conn.execute(delete(schema.vms).where(schema.vms.c.host.in_(hosts[i : i + 500])))
            if rows:
                conn.execute(schema.vms.insert(), rows)
        self._snapshot.invalidate()
        changes.notify()
        return {h: sum(1 for _, state in listed if state == "poweredOn") for h, listed in vms.items()}

    # -- a solution's system VMs ---------------------------------------------------

    def deploy(self, name: str, host: str, solution: str, power_state: str = "poweredOff") -> VirtualMachine:
        """A system VM of `solution` on `host` (deployed powered off, as from its OVF)."""
        n = self.store.next_id("vm")
        vm = VirtualMachine(f"vm-{n}", name, host, power_state, str(uuid.uuid4()), solution)
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(
                schema.vms.insert().values(
                    id=vm.id, name=name, host=host, power_state=power_state, uuid=vm.uuid, solution=solution
                )
            )
        self._snapshot.invalidate()
        changes.notify()
        return vm

    def set_power(self, vm_id: str, power_state: str) -> None:
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(update(schema.vms).where(schema.vms.c.id == vm_id).values(power_state=power_state))
        self._snapshot.invalidate()
        changes.notify()

    def adopt(self, vm_ids: list[str], solution: str | None) -> None:
        """The VMs become system VMs of `solution` (None: workloads again)."""
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(update(schema.vms).where(schema.vms.c.id.in_(vm_ids)).values(solution=solution))
        self._snapshot.invalidate()
        changes.notify()

    def destroy(self, vm_ids: list[str]) -> None:
        if not vm_ids:
            return
        with self.store.engine.begin() as conn:
            Store.bump(conn, VERSION)
            conn.execute(delete(schema.vms).where(schema.vms.c.id.in_(vm_ids)))
        self._snapshot.invalidate()
        changes.notify()
