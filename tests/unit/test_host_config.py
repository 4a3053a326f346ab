"""The host configuration model of Configuration Profiles: a reference host's
configuration as a document, the schema a desired image gives it (errors with
their JSON paths), what each host should have, and drift with its impact."""

from __future__ import annotations

from vlcmsim.lifecycle.host_config import (
    MAINTENANCE_MODE,
    NONE,
    REBOOT,
    actual_configuration,
    applied,
    changes_between,
    desired_for,
    differences,
    document_from_host,
    impact_of,
    set_value,
    value_at,
)
from vlcmsim.lifecycle.host_config_schema import schema, validate


def test_a_reference_hosts_configuration_becomes_a_valid_document() -> None:
    actual = actual_configuration("host-1", "esx-a1.vlcmsim.local", "192.0.2.11")
    doc = document_from_host("host-1", actual, "8.0.3")
    assert validate(doc, "8.0.3") == []
    assert value_at(doc["profile"], "esx/system/system_time/ntp_servers") == ["pool.ntp.org"]
    assert value_at(doc["host-specific"]["host-1"], "esx/network/dns/host_name") == "esx-a1"
    assert value_at(doc["profile"], "esx/network/dns/host_name") is None  # host-specific, not common
    assert value_at(doc["profile"], "esx/advanced_options/Net.TcpipHeapSize") == 0  # a dotted name is one key


def test_the_schema_follows_the_image_and_errors_carry_their_json_path() -> None:
    assert "ptp_interface" in str(schema("8.0.3")) and "ptp_interface" not in str(schema("8.0.2"))
    doc = {
        "profile": {
            "esx": {
                "system": {"syslog": {"rotate": 0, "log_host": "not a list"}, "system_time": {"protocol": "SNTP"}},
                "advanced_options": {"Net.TcpipHeapSize": True, "No.Such.Option": 1},
                "network": {"vmknics": [{"device": "eth0", "port_group": "x", "ipv4_address": "300.1.1.1"}]},
            }
        },
        "extra": {},
    }
    errors = dict(validate(doc, "8.0.3"))
    assert errors["$.profile.esx.system.syslog.rotate"] == "0 is below the minimum 1"
    assert errors["$.profile.esx.system.syslog.log_host"] == "expected array, got a string"
    assert errors["$.profile.esx.system.system_time.protocol"].startswith("'SNTP' is not one of")
    assert errors["$.profile.esx.advanced_options['Net.TcpipHeapSize']"] == "expected integer, got a boolean"
    assert errors["$.profile.esx.advanced_options['No.Such.Option']"] == "is not a known setting"
    assert "$.profile.esx.network.vmknics" in errors  # host-specific: not in the common profile
    assert errors["$.extra"] == "is not a known setting"


def test_drift_and_what_applying_it_takes() -> None:
    actual = actual_configuration("host-2", "esx-a2.vlcmsim.local", "192.0.2.12")
    doc = document_from_host("host-1", actual_configuration("host-1", "esx-a1.vlcmsim.local", "192.0.2.11"), "8.0.3")
    desired = desired_for(doc, "host-2")
    assert differences(actual, desired, "8.0.3") == []  # host-1's specifics are not host-2's
    set_value(doc["profile"], "esx/system/system_time/ntp_servers", ["ntp1.example.com"])
    set_value(doc["profile"], "esx/advanced_options/Net.TcpipHeapSize", 8)
    diffs = differences(actual, desired_for(doc, "host-2"), "8.0.3")
    assert [(d.path, d.impact) for d in diffs] == [
        ("esx/advanced_options/Net.TcpipHeapSize", REBOOT),
        ("esx/system/system_time/ntp_servers", NONE),
    ]
    assert impact_of(diffs) == REBOOT and impact_of(diffs[1:]) == NONE
    after = applied(actual, desired_for(doc, "host-2"), "8.0.3")
    assert differences(after, desired_for(doc, "host-2"), "8.0.3") == []
    doc.setdefault("host-override", {})["host-2"] = {"esx": {"network": {"vswitches": []}}}
    assert impact_of(differences(after, desired_for(doc, "host-2"), "8.0.3")) == MAINTENANCE_MODE
    changed = list(changes_between({"profile": {}}, doc))
    assert ("profile", "esx/advanced_options/Net.TcpipHeapSize", None, 8) in changed
    assert any(section == "host-override/host-2" for section, *_ in changed)
