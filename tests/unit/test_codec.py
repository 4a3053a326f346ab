"""The codec: what clients send is checked against the model, what handlers
return is written by the model's rules (union cases, enum values)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vlcmsim.vapi.codec import CLEAN, LEGACY, MAX_ITEMS, TYPED, EncodeError, encode, from_clean, from_typed
from vlcmsim.vapi.errors import VapiError

STAGE_SPEC = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.stage_spec"}
HOST_SUMMARY = {"kind": "struct", "id": "com.vmware.vcenter.host.summary"}
NOTIFICATION = {"kind": "struct", "id": "com.vmware.esx.settings.notification"}
IMPORT_SPEC = {"kind": "struct", "id": "com.vmware.esx.settings.clusters.software.drafts.import_spec"}
ID_SET = {"kind": "set", "element": {"kind": "id"}}
STRING_MAP = {"kind": "map", "key": {"kind": "string"}, "value": {"kind": "string"}}


def invalid(td: dict, value: object) -> VapiError:  # type: ignore[type-arg]
    with pytest.raises(VapiError) as err:
        from_clean(td, value, "spec")
    assert err.value.name == "invalid_argument"
    return err.value


def test_a_struct_is_decoded_with_its_optional_fields_unset() -> None:
    assert from_clean(STAGE_SPEC, {"commit": "1"}) == {"commit": "1"}


def test_unknown_and_missing_fields_are_named_with_their_path() -> None:
    assert invalid(STAGE_SPEC, {"colour": 1}).messages[0].args == ("spec.colour",)
    err = invalid({"kind": "struct", "id": "com.vmware.vcenter.host.summary"}, {"host": "h"})
    assert "spec.name" in err.text


def test_a_bad_element_is_named_by_its_index_and_a_deep_value_is_not_printed() -> None:
    deep: list[object] = []
    for _ in range(1000):
        deep = [deep]
    err = invalid(STAGE_SPEC, {"hosts": ["host-1", deep]})
    assert err.messages[0].args == ("spec.hosts[1]",)
    assert "an array" in err.text and len(err.text) < 200


def test_a_set_keeps_each_element_once_in_order() -> None:
    assert from_clean(ID_SET, ["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_a_set_of_the_largest_accepted_size_decodes_and_one_more_is_refused() -> None:
    ids = [f"host-{i}" for i in range(MAX_ITEMS)]
    assert from_clean(ID_SET, ids[:-10] + ids[:10]) == ids[:-10]
    assert from_clean(ID_SET, ids) == ids
    err = invalid(ID_SET, [*ids, "one-more"])
    assert err.messages[0].id == "com.vmware.vlcmsim.input.TooManyItems"


def test_maps_are_accepted_as_objects_or_key_value_lists() -> None:
    assert from_clean(STRING_MAP, {"a": "1"}) == from_clean(STRING_MAP, [{"key": "a", "value": "1"}]) == {"a": "1"}


def test_integers_beyond_64_bits_are_refused() -> None:
    long_td = {"kind": "long"}
    assert from_clean(long_td, 2**63 - 1) == 2**63 - 1
    invalid(long_td, 2**63)
    invalid(long_td, True)


def test_an_input_union_needs_the_field_its_case_requires_and_refuses_the_others() -> None:
    assert invalid(IMPORT_SPEC, {"source_type": "PULL"}).messages[0].id == "vapi.data.structure.union.missing"
    extra = invalid(IMPORT_SPEC, {"source_type": "JSON_STRING", "software_spec": "{}", "location": "http://x/"})
    assert extra.messages[0].id == "vapi.data.structure.union.extra"
    assert from_clean(IMPORT_SPEC, {"source_type": "PULL", "location": "http://x/"})["location"] == "http://x/"


def test_typed_json_decodes_to_the_same_values_as_clean_json() -> None:
    typed = {
        "STRUCTURE": {STAGE_SPEC["id"]: {"commit": {"OPTIONAL": "2"}, "hosts": {"OPTIONAL": ["host-1", "host-1"]}}}
    }
    assert from_typed(STAGE_SPEC, typed) == from_clean(STAGE_SPEC, {"commit": "2", "hosts": ["host-1"]})


def test_output_unions_leave_out_the_fields_the_case_does_not_allow() -> None:
    disconnected = {"host": "host-1", "name": "esx", "connection_state": "DISCONNECTED", "power_state": "POWERED_ON"}
    assert "power_state" not in encode(HOST_SUMMARY, disconnected)
    connected = {**disconnected, "connection_state": "CONNECTED"}
    assert encode(HOST_SUMMARY, connected)["power_state"] == "POWERED_ON"
    info = {"type": "INFO", "id": "x", "time": datetime(2026, 1, 1, tzinfo=UTC), "message": _msg(), "retriable": True}
    assert "retriable" not in encode(NOTIFICATION, info)
    assert encode(NOTIFICATION, {**info, "type": "ERROR"})["retriable"] is True


def test_an_output_that_breaks_a_required_union_case_is_caught_from_the_model() -> None:
    connected = {"host": "host-1", "name": "esx", "connection_state": "CONNECTED"}
    with pytest.raises(EncodeError, match="power_state is required when connection_state is CONNECTED"):
        encode(HOST_SUMMARY, connected)


def test_an_enum_value_the_model_does_not_know_is_caught_on_output() -> None:
    with pytest.raises(EncodeError, match="not a value of enum"):
        encode(HOST_SUMMARY, {"host": "h", "name": "n", "connection_state": "ON_FIRE"})


def test_the_three_styles_of_one_value() -> None:
    value = {"a": "1"}
    assert encode(STRING_MAP, value, CLEAN) == {"a": "1"}
    assert encode(STRING_MAP, value, LEGACY) == [{"key": "a", "value": "1"}]
    assert encode(STRING_MAP, value, TYPED) == [{"STRUCTURE": {"map-entry": {"key": "a", "value": "1"}}}]
    optional = {"kind": "optional", "element": {"kind": "string"}}
    assert encode(optional, None, TYPED) == {"OPTIONAL": None}
    assert (
        encode({"kind": "DateTime"}, datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)) == "2026-11-27T12:00:00.123Z"
    )


def _msg() -> dict[str, object]:
    return {"id": "x", "default_message": "text", "args": []}
