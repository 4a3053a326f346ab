"""Regenerate src/vlcmsim/vapi/model.json from the shared API contract.

The contract's api-index.json describes every operation and type of the vLCM
API family (introspected from the official bindings). The server is driven by
a trimmed copy of it: type descriptors, REST bindings and task result types,
without the documentation text.

    python tools/gen_model.py ../shared/contract/api-index.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "vlcmsim" / "vapi" / "model.json"


def trim_td(td: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": td["kind"]}
    for key in ("id",):
        if key in td:
            out[key] = td[key]
    for key in ("element", "key", "value"):
        if key in td:
            out[key] = trim_td(td[key])
    return out


def trim_type(t: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": t["kind"]}
    if "fields" in t:
        out["fields"] = [[f["name"], trim_td(f["type_desc"])] for f in t["fields"]]
    if "values" in t:
        out["values"] = [v["value"] for v in t["values"]]
    if t.get("validators"):
        out["unions"] = t["validators"]
    return out


def api_form(form: str) -> dict[str, Any]:
    """Method, path and dispatch parameters from the corrected `api_form` (the
    bindings' own REST metadata is wrong for cis.tasks list/cancel and host connect)."""
    method, url = form.split(" ", 1)
    path, _, query = url.partition("?")
    dispatch: dict[str, str | None] = {}
    for part in filter(None, query.split("&")):
        name, eq, value = part.partition("=")
        if name != "vmw-task":
            dispatch[name] = value if eq else None
    return {"method": method, "path": path, "dispatch": dispatch}


def trim_operation(service_id: str, op: dict[str, Any]) -> dict[str, Any]:
    rest = op["rest"]
    return {
        "service": service_id,
        "operation": op["operation_id"],
        "inputs": [[i["name"], trim_td(i["type_desc"]), i["in"]] for i in op["inputs"]],
        "output": trim_td(op["output_desc"]) if op.get("output_desc") else {"kind": "void"},
        "errors": [e["id"] for e in op["errors"]],
        **api_form(rest["api_form"]),
        "body": rest["body"]["mode"],
        "body_param": rest["body"].get("param"),
        "success_status": rest["success_status"],
        **({"task_result": trim_td(op["task_result_desc"])} if op.get("task_result_desc") else {}),
    }


def main(index_path: str) -> None:
    index = json.loads(Path(index_path).read_text())
    model = {
        "types": {tid: trim_type(t) for tid, t in sorted(index["types"].items())},
        "operations": [
            trim_operation(s["service_id"], op) for s in index["services"] for op in s["operations"] if op.get("rest")
        ],
    }
    OUT.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/contract/api-index.json")
