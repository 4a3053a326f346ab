"""The official SDK, unchanged, as a user's script calls it: what broke it
before (union rules the server did not honour, a required field) works."""

from __future__ import annotations

import time
from typing import Any

from com.vmware.esx.settings.clusters.enablement_client import Software as Enablement
from com.vmware.esx.settings.depots_client import Offline

from sdk import vsphere_client
from vlcmsim.testing import Server


def wait(task: Any) -> Any:
    for _ in range(400):
        info = task.get_info()
        if info.status in ("SUCCEEDED", "FAILED"):
            return info
        time.sleep(0.05)
    raise AssertionError("the task did not end")


def test_the_embedded_depot_reads_through_the_sdk(server: Server) -> None:
    client = vsphere_client(server)
    offline = Offline(client._stub_config)
    depots = offline.list()
    assert depots
    depot_id, summary = next(iter(depots.items()))
    assert summary.source_type == Offline.SourceType.PULL and summary.location.startswith("vlcmsim://embedded/")
    assert offline.get(depot_id).location == summary.location


def test_enabling_image_management_through_the_sdk(server: Server) -> None:
    client = vsphere_client(server)
    enablement = Enablement(client._stub_config)
    task = enablement.enable_task("domain-c1", Enablement.EnableSpec(skip_software_check=False))
    assert wait(task).status == "SUCCEEDED"
    assert enablement.get("domain-c1").enabled is True
