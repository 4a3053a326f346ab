"""vSphere 9's image repository through the official SDK: an image made in a
draft, committed, found by name and by content, assigned to Cluster-B (its
desired image becomes a commit of it) and staged there; an edit of the image
reaches Cluster-B as a new commit; an assigned image cannot be deleted; a copy
needs a name of its own; an imported image with an alternative image."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx
import pytest
from com.vmware.esx.settings.clusters.software_client import SoftwareSpecMetadata
from com.vmware.esx.settings.clusters_client import Software as ClusterSoftware
from com.vmware.esx.settings.repository.software.drafts_client import BaseImage, Components, DisplayName
from com.vmware.esx.settings.repository.software_client import Drafts, EffectiveComponents
from com.vmware.esx.settings.repository_client import Software
from com.vmware.esx.settings_client import BaseImageSpec, Inventory, SoftwareSpec
from com.vmware.vapi.std.errors_client import AlreadyExists, ResourceInUse

from helpers import staged_files
from sdk import vsphere_client, wait
from vlcmsim.depot import defaults as d
from vlcmsim.testing import ADMIN, Server


def _committed(drafts: Drafts, draft: str) -> str:
    task = drafts.commit_task(draft, Drafts.CommitSpec(message="for the test"))
    info = wait(task)
    assert info.status == "SUCCEEDED", info.error
    spec_id: str = task.get_result()
    return spec_id


def test_an_image_from_the_repository_assigned_staged_and_edited(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    stub = client._stub_config
    drafts, repository = Drafts(stub), Software(stub)

    # an image made in a draft: one draft per user
    draft = drafts.create(Drafts.CreateSpec())
    with pytest.raises(AlreadyExists):
        drafts.create(Drafts.CreateSpec())
    BaseImage(stub).set(draft, BaseImageSpec(version=d.U3))
    Components(stub).set(draft, "Intel-i40en", d.I40EN_NEW)
    checked = drafts.validate_task(draft)
    assert wait(checked).status == "SUCCEEDED"
    assert "no display name" in checked.get_result().notifications.errors[0].message.default_message
    DisplayName(stub).set(draft, DisplayName.SetSpec(display_name="Gold 8.0 U3"))
    gold = _committed(drafts, draft)
    assert drafts.list() == {}  # committed: gone

    record = repository.get(gold)
    assert record.display_name == "Gold 8.0 U3" and record.type == "SINGLE" and record.editable
    assert record.software_spec.components["Intel-i40en"] == d.I40EN_NEW
    found = repository.check_repository(Software.CheckSpec(display_name="Gold 8.0 U3")).matches
    assert [m.match_types for m in found] == [{"NAME_MATCH"}]
    same = SoftwareSpec(base_image=BaseImageSpec(version=d.U3), components={"Intel-i40en": d.I40EN_NEW})
    found = repository.check_repository(Software.CheckSpec(software_spec=same)).matches
    assert [m.record.id for m in found] == [gold] and found[0].match_types == {"SOFTWARE_SPEC_MATCH"}
    assert "ESXi" in EffectiveComponents(stub).list(gold)

    # assigned to Cluster-B: its desired image is the spec now, and a stage moves its payloads
    entities = Inventory.EntitySpec(type="CLUSTER", clusters={"domain-c2"})
    assign = Inventory(stub).assign_entities_task(
        Inventory.AssignEntitiesSpec(software_spec_id=gold, entities=entities)
    )
    assert wait(assign).status == "SUCCEEDED", assign.get_info().error
    assert assign.get_result().cluster_results["domain-c2"].status == "COMPLETED"
    assert ClusterSoftware(stub).get("domain-c2").components == {"Intel-i40en": ClusterSoftware(stub).get(
        "domain-c2").components["Intel-i40en"]}  # fmt: skip
    assert ClusterSoftware(stub).get("domain-c2").base_image.version == d.U3
    assert SoftwareSpecMetadata(stub).get("domain-c2").software_spec_id == gold
    assert [c.id for c in repository.get(gold).assigned_entities.clusters] == ["domain-c2"]
    staged = ClusterSoftware(stub).stage_task("domain-c2", ClusterSoftware.StageSpec())
    assert wait(staged, 60).status == "SUCCEEDED", staged.get_info().error
    assert staged_files(Path(fresh_server.data_dir), "host-5")

    # an edit of the spec reaches Cluster-B as its next commit
    edit = repository.edit(gold, Software.EditSpec())
    assert repository.edit(gold, Software.EditSpec()) == edit  # the caller's draft of it, again
    Components(stub).set(edit, "bnxtnet", d.BNXTNET)
    assert _committed(drafts, edit) == gold
    assert repository.get(gold).software_spec.components["bnxtnet"] == d.BNXTNET
    assert ClusterSoftware(stub).get("domain-c2").components["bnxtnet"].version == d.BNXTNET

    # in use: not deleted
    with pytest.raises(ResourceInUse):
        repository.delete(gold)

    # a copy must be renamed before it is committed
    copy = repository.copy(gold, Software.CopySpec())
    refused = drafts.commit_task(copy, Drafts.CommitSpec())
    assert wait(refused).status == "FAILED"
    assert "already named 'Gold 8.0 U3'" in refused.get_info().error.messages[0].default_message
    DisplayName(stub).set(copy, DisplayName.SetSpec(display_name="Gold copy"))
    copied = _committed(drafts, copy)
    assert copied != gold and len(repository.list().records) == 2
    repository.delete(copied)
    assert [r.id for r in repository.list().records] == [gold]

    # exported: the software spec's URL serves the document of the current revision
    urls = repository.export(
        gold,
        Software.ExportSpec(
            export_software_spec=True,
            export_iso_image=False,
            export_offline_bundle=True,
            export_only_default_image=False,
        ),
    )
    context = ssl.create_default_context(cafile=str(fresh_server.cert))
    document = httpx.get(urls["SOFTWARE_SPEC"], verify=context).raise_for_status().json()
    assert document["components"] == {"Intel-i40en": d.I40EN_NEW, "bnxtnet": d.BNXTNET}
    assert httpx.get(urls["OFFLINE_BUNDLE"], verify=context).raise_for_status().content[:2] == b"PK"


def test_an_imported_image_with_an_alternative_image(fresh_server: Server) -> None:
    client = vsphere_client(fresh_server)
    stub = client._stub_config
    document = {
        "base_image": {"version": d.U3},
        "components": {},
        "alternative_images": {
            "1": {
                "base_image": {"version": d.U3},
                "components": {"bnxtnet": d.BNXTNET},
                "display_name": "Broadcom NICs",
                "selection_criteria": {"selection_type": "HOST_HARDWARE_SPEC", "host_hardware_spec": {"vendor": "HPE"}},
            }
        },
    }
    spec = Drafts.ImportSpec(display_name="Two images", source_type="JSON_STRING", software_spec=json.dumps(document))
    drafts = Drafts(stub)
    draft = drafts.import_software_spec(spec)
    assert drafts.get(draft).display_name == "Two images"
    spec_id = _committed(drafts, draft)
    record = Software(stub).get(spec_id)
    assert record.type == "COMPOSITE"
    assert record.software_info.alternative_images["1"].selection_criteria.host_hardware_spec.vendor == "HPE"
    admin = fresh_server.client(ADMIN)
    effective = admin.get(
        f"/api/esx/settings/repository/software/{spec_id}/alternative-images/1/effective-components"
    ).json()
    assert "bnxtnet" in effective and "ESXi" in effective
    admin.close()
