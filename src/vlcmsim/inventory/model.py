"""Inventory objects as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass

CONNECTION_STATES = ("CONNECTED", "DISCONNECTED", "NOT_RESPONDING")
POWER_STATES = ("POWERED_ON", "POWERED_OFF", "STANDBY")


@dataclass(frozen=True)
class Datacenter:
    id: str
    name: str


@dataclass(frozen=True)
class Cluster:
    id: str
    name: str
    datacenter: str
    image_managed: bool
    ha_enabled: bool
    drs_enabled: bool


@dataclass(frozen=True)
class Host:
    id: str
    name: str
    cluster: str | None
    datacenter: str
    connection_state: str
    power_state: str
    in_maintenance_mode: bool
