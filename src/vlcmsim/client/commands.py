"""The client commands of `vlcmsim`: they speak only the public Automation API
(sessions, vcenter inventory, esx.settings, cis.tasks), so they work against a
real vCenter as well. `--json` on every command prints the API's own answer.

    vlcmsim login https://127.0.0.1:8443 --ca-file <data dir>/server.crt
    vlcmsim clusters
    vlcmsim stage domain-c1 --watch
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vlcmsim.client.api import Api, ClientError, Profile, save_profile
from vlcmsim.client.report import notification_lines
from vlcmsim.client.watch import Watcher

SETTINGS = "/api/esx/settings/clusters"
DEFAULT_USER = "administrator@vsphere.local"
UPLOADS = "/vum/repository/uploads"  # vlcmsim's own bundle upload (a vCenter uploads through its UI)

CLUSTER_HELP = "a cluster's id (domain-c1) or its name (Cluster-A)"
RAW = argparse.RawDescriptionHelpFormatter
EXIT_CODES = """exit codes: 0 done, and its result reports no error; 1 the task failed; 2 the command could not
run (no login, bad arguments, refused); 3 the task succeeded but its result reports errors (a
check or validation: each one is printed); 130 interrupted, the task going on"""

COMMANDS = ("login", "clusters", "hosts", "compliance", "depots", "draft", "stage", "apply", "check", "tasks", "config")


def common_parser() -> argparse.ArgumentParser:
    """The options of every client command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", default=os.environ.get("VLCMSIM_PROFILE", "default"), help="saved login to use")
    common.add_argument("--json", action="store_true", help="print the API's answer as JSON")
    return common


def add_parsers(sub: Any) -> None:
    """Every client command but `hosts`, which shares its name with `hosts run` (the host agent)."""
    common = common_parser()

    p = sub.add_parser("login", parents=[common], help="log in to a vSphere endpoint and keep the session")
    p.add_argument("url", help="e.g. https://127.0.0.1:8443")
    p.add_argument("--user", default=os.environ.get("VLCMSIM_USER", DEFAULT_USER))
    p.add_argument("--password", help="default: $VLCMSIM_PASSWORD, else asked")
    p.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    p.add_argument("--ca-file", help="the server's certificate (vlcmsim: <data dir>/server.crt)")

    sub.add_parser("clusters", parents=[common], help="the clusters")
    p = sub.add_parser("compliance", parents=[common], help="a cluster's compliance (its last scan)")
    p.add_argument("cluster", help=CLUSTER_HELP)

    p = sub.add_parser("depots", parents=[common], help="offline depots (list) and what the depots hold (content)")
    dsub = p.add_subparsers(dest="depots_command")
    d = dsub.add_parser("import", parents=[common], help="import an offline bundle from a file or a URL")
    d.add_argument("source", help="a .zip path (uploaded) or an http(s)/file URL (pulled by the server)")
    d.add_argument("--description", default="")
    dsub.add_parser("list", parents=[common], help="the offline depots (the default)")
    d = dsub.add_parser("content", parents=[common], help="base images, add-ons and components, with versions")
    d.add_argument("--kind", choices=("base-images", "add-ons", "components"), help="only this kind")

    p = sub.add_parser("draft", parents=[common], help="edit a cluster's desired image in a draft")
    dsub = p.add_subparsers(dest="draft_command", required=True)
    d = dsub.add_parser("create", parents=[common], help="a draft from the latest commit")
    d.add_argument("cluster", help=CLUSTER_HELP)
    d = dsub.add_parser("base-image", parents=[common], help="set the draft's base image")
    d.add_argument("cluster", help=CLUSTER_HELP)
    d.add_argument("draft")
    d.add_argument("version")
    d = dsub.add_parser("add-on", parents=[common], help="set the draft's add-on (no name: remove it)")
    d.add_argument("cluster", help=CLUSTER_HELP)
    d.add_argument("draft")
    d.add_argument("name", nargs="?")
    d.add_argument("version", nargs="?")
    d = dsub.add_parser("component", parents=[common], help="set a component's version (--remove: take it out)")
    d.add_argument("cluster", help=CLUSTER_HELP)
    d.add_argument("draft")
    d.add_argument("name")
    d.add_argument("version", nargs="?")
    d.add_argument("--remove", action="store_true")
    for name, text in (("validate", "validate the draft"), ("commit", "commit the draft")):
        d = dsub.add_parser(name, parents=[common], help=text, epilog=EXIT_CODES, formatter_class=RAW)
        d.add_argument("cluster", help=CLUSTER_HELP)
        d.add_argument("draft")
        if name == "commit":
            d.add_argument("--message", default="")

    for name, text in (
        ("stage", "stage the cluster's desired image on its hosts"),
        ("apply", "remediate the cluster's hosts to its desired image"),
        ("check", "run the pre-checks of a remediation"),
    ):
        p = sub.add_parser(name, parents=[common], help=text, epilog=EXIT_CODES, formatter_class=RAW)
        p.add_argument("cluster", help=CLUSTER_HELP)
        p.add_argument("--hosts", help="comma-separated host ids or names (default: every host)")
        if name != "check":
            p.add_argument("--commit", help="at least this commit (the newest is used)")
            p.add_argument("--watch", action="store_true", help="follow the task live; exit non-zero when it fails")
        else:
            p.add_argument("--no-wait", action="store_true", help="print the task id and return at once")

    p = sub.add_parser("config", parents=[common], help="a cluster's configuration profile (host configuration)")
    csub = p.add_subparsers(dest="config_command", required=True)
    c = csub.add_parser("enable", parents=[common], help="manage the cluster by a configuration profile")
    c.add_argument("cluster", help=CLUSTER_HELP)
    c.add_argument("--from-host", required=True, help="the reference host whose configuration becomes the profile")
    c = csub.add_parser("export", parents=[common], help="print the cluster's configuration document")
    c.add_argument("cluster", help=CLUSTER_HELP)
    c = csub.add_parser("import", parents=[common], help="commit a configuration document from a file")
    c.add_argument("cluster", help=CLUSTER_HELP)
    c.add_argument("file")
    for name, text in (
        ("validate", "check the document against its schema"),
        ("precheck", "what applying the document takes on each host"),
        ("compliance", "each host's configuration against the document (drift)"),
        ("apply", "remediate the hosts to the document"),
    ):
        c = csub.add_parser(name, parents=[common], help=text, epilog=EXIT_CODES, formatter_class=RAW)
        c.add_argument("cluster", help=CLUSTER_HELP)

    p = sub.add_parser("tasks", parents=[common], help="recent tasks, or follow one")
    p.add_argument("--watch", metavar="TASK", help="follow this task to its end")
    p.add_argument("--limit", type=int, default=30, help="the newest this many (30)")
    p.add_argument("--status", help="only PENDING, RUNNING, SUCCEEDED or FAILED ones")
    p.add_argument("--operation", help="only this operation (stage, apply, check, scan, commit...)")
    p.add_argument("--target", help="only those of this cluster or host (id or name)")


def run(args: argparse.Namespace) -> int:
    # Ctrl-C reaches the command even when started from a shell that ignores SIGINT (a background job)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # in a pipe, tables as wide as they need: a reader of the text, not a screen, takes them
    console = Console() if sys.stdout.isatty() else Console(width=240)
    try:
        return HANDLERS[args.command](args, console)
    except ClientError as exc:
        print(f"vlcmsim: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `vlcmsim hosts | head`: the reader has what it wanted
        sys.stderr.close()
        return 0


def login(args: argparse.Namespace, console: Console) -> int:
    password = args.password or os.environ.get("VLCMSIM_PASSWORD")
    if password is None:
        password = getpass.getpass(f"password of {args.user}: ")
    profile = Api.login(args.url, args.user, password, args.insecure, args.ca_file)
    path = save_profile(args.profile, profile)
    if args.json:
        print(json.dumps({"profile": args.profile, "url": profile.url, "user": profile.user}))
    else:
        print(f"logged in to {profile.url} as {profile.user} (profile {args.profile!r} in {path})")
    return 0


def show(args: argparse.Namespace, console: Console, value: Any, columns: list[str], rows: list[list[Any]]) -> int:
    if args.json:
        print(json.dumps(value, indent=2))
        return 0
    table = Table(show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(c) if c is not None else "" for c in row))
    console.print(table)
    return 0


def clusters(args: argparse.Namespace, console: Console) -> int:
    value = _api(args).get("/api/vcenter/cluster")
    rows = [[c["cluster"], c["name"], c["ha_enabled"], c["drs_enabled"]] for c in value]
    return show(args, console, value, ["cluster", "name", "ha", "drs"], rows)


def hosts(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    value = api.get("/api/vcenter/host", clusters=cluster_id(api, args.cluster) if args.cluster else None)
    rows = [[h["host"], h["name"], h["connection_state"], h.get("power_state")] for h in value]
    return show(args, console, value, ["host", "name", "connection", "power"], rows)


def compliance(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    cluster = cluster_id(api, args.cluster)
    value = api.get(f"{SETTINGS}/{cluster}/software/compliance")
    if args.json:
        print(json.dumps(value, indent=2))
        return 0
    names = {h: v.get("name", h) for h, v in (value.get("host_info") or {}).items()}
    console.print(f"{cluster}: {value.get('status')} (commit {value.get('commit')}), {value.get('impact')}")
    for level, text in notification_lines(value.get("notifications")):
        console.print(f"{level}: {text}", markup=False)
    table = Table(show_edge=False, pad_edge=False)
    for column in ("host", "name", "status", "stage status", "impact", "what changes (current -> target)"):
        table.add_column(column)
    for host, v in sorted((value.get("hosts") or {}).items()):
        table.add_row(host, names.get(host, host), v.get("status"), v.get("stage_status"), v.get("impact"),
                      "\n".join(changes_of(v)))  # fmt: skip
    console.print(table)
    return 0


def _version_text(side: dict[str, Any] | None) -> str:
    if not side:
        return "(none)"
    details = side.get("details") or {}
    shown = details.get("display_version") or side.get("version", "")
    return f"{shown} ({side.get('version')})" if shown != side.get("version") else str(shown)


def changes_of(host: dict[str, Any]) -> list[str]:
    """Each part of the image that is not compliant: its name, current -> target, and why."""
    out = []
    parts: list[tuple[str, dict[str, Any]]] = []
    if host.get("base_image"):
        parts.append(("base image", host["base_image"]))
    if host.get("add_on"):
        parts.append(("add-on", host["add_on"]))
    for name, c in sorted((host.get("components") or {}).items()):
        parts.append((name, c))
    for name, part in parts:
        if part.get("status") in (None, "COMPLIANT"):
            continue
        target = part.get("target") or {}
        label = (target.get("details") or (part.get("current") or {}).get("details") or {}).get("display_name") or name
        label = f"{name} ({label})" if name in ("base image", "add-on") else label
        why = "; ".join(text for _, text in notification_lines(part.get("notifications")))
        line = f"{label}: {_version_text(part.get('current'))} -> {_version_text(part.get('target'))}"
        out.append(line + (f" [{part.get('status')}: {why}]" if why else f" [{part.get('status')}]"))
    for _, text in notification_lines(host.get("notifications")):
        out.append(text)
    return out


def depots(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    if args.depots_command == "content":
        return depot_content(args, console, api)
    if args.depots_command in (None, "list"):
        value = api.get("/api/esx/settings/depots/offline")
        rows = [[d, v.get("description"), v.get("source_type"), v.get("location") or v.get("file_name")]
                for d, v in value.items()]  # fmt: skip
        return show(args, console, value, ["depot", "description", "source", "location"], rows)
    source: str = args.source
    spec: dict[str, Any] = {"description": args.description}
    if "://" in source:
        spec.update(source_type="PULL", location=source)
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise ClientError(f"{source}: no such file")
        with path.open("rb") as f:
            r = api.http.post(UPLOADS, content=f, headers={"content-type": "application/octet-stream"})
        if r.status_code != 201:
            raise ClientError(f"upload refused: HTTP {r.status_code}")
        spec.update(source_type="PUSH", file_id=r.json()["file_id"])
    task = api.task_of("/api/esx/settings/depots/offline", spec)
    return Watcher(api, console).follow(task, args.json)


def depot_content(args: argparse.Namespace, console: Console, api: Api) -> int:
    """What the depots hold, newest versions last: what a draft can name."""
    kinds = [args.kind] if args.kind else ["base-images", "add-ons", "components"]
    value = {kind: api.get(f"/api/esx/settings/depot-content/{kind}") for kind in kinds}
    if args.json:
        print(json.dumps(value, indent=2))
        return 0
    for kind in kinds:
        table = Table(title=kind, show_edge=False, pad_edge=False, title_justify="left")
        for column in ("name", "display name", "version", "display version", "vendor", "released"):
            table.add_column(column)
        for item in value[kind]:
            versions = [item] if kind == "base-images" else item.get("versions") or []
            for v in versions:
                table.add_row(item.get("name", "ESXi" if kind == "base-images" else ""), item.get("display_name"),
                              v.get("version"), v.get("display_version"), item.get("vendor", "VMware, Inc."),
                              (v.get("release_date") or "")[:10])  # fmt: skip
        console.print(table)
    return 0


def draft(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    cluster = cluster_id(api, args.cluster)
    base = f"{SETTINGS}/{cluster}/software/drafts"
    command = args.draft_command
    if command == "create":
        created = api.post(base)
        print(json.dumps(created) if args.json else created)
        return 0
    here = f"{base}/{args.draft}/software"
    done = ""
    if command == "base-image":
        api.call("PUT", f"{here}/base-image", json={"version": args.version})
        done = f"base image set to {args.version}"
    elif command == "add-on":
        if args.name:
            api.call("PUT", f"{here}/add-on", json={"name": args.name, "version": args.version})
            done = f"add-on set to {args.name} {args.version}"
        else:
            api.call("DELETE", f"{here}/add-on")
            done = "add-on removed"
    elif command == "component":
        if args.remove:
            api.call("DELETE", f"{here}/components/{args.name}")
            done = f"component {args.name} removed"
        else:
            if not args.version:
                raise ClientError("give the component's version, or --remove")
            api.call("PATCH", f"{here}/components", json={"components_to_set": {args.name: args.version}})
            done = f"component {args.name} set to {args.version}"
    elif command == "validate":
        return Watcher(api, console).follow(api.task_of(f"{base}/{args.draft}?action=validate"), args.json)
    elif command == "commit":
        task = api.task_of(f"{base}/{args.draft}?action=commit", {"message": args.message})
        return Watcher(api, console).follow(task, args.json)
    if not args.json:
        print(f"draft {args.draft} of {cluster}: {done}")
    return 0


def remediation(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    cluster = cluster_id(api, args.cluster)
    spec: dict[str, Any] = {}
    if args.hosts:
        spec["hosts"] = [host_id(api, h.strip()) for h in args.hosts.split(",") if h.strip()]
    if getattr(args, "commit", None):
        spec["commit"] = args.commit
    if args.command == "apply":
        spec["accept_eula"] = True
    task = api.task_of(f"{SETTINGS}/{cluster}/software?action={args.command}", spec)
    # a pre-check is quick and its table is the point: followed unless told not to
    if getattr(args, "watch", False) or (args.command == "check" and not args.no_wait):
        return Watcher(api, console).follow(task, args.json)
    print(json.dumps(task) if args.json else task)
    return 0


def tasks(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    if args.watch:
        return Watcher(api, console).follow(args.watch, args.json)
    spec: dict[str, Any] = {}
    if args.status:
        spec["status"] = [args.status.upper()]
    if args.operation:
        spec["operations"] = [args.operation, f"{args.operation}$task"]
    if args.target:
        kind, ident = _target(api, args.target)
        spec["targets"] = [{"type": kind, "id": ident}]
    value = api.post("/api/cis/tasks?action=list", {"filter_spec": spec}) if spec else api.get("/api/cis/tasks")
    ordered = sorted(value.items(), key=lambda kv: kv[1].get("start_time") or "")[-max(args.limit, 0) :]
    rows = [
        [t, v.get("operation"), (v.get("target") or {}).get("id"), v.get("status"), v.get("start_time"),
         v.get("end_time")]
        for t, v in ordered
    ]  # fmt: skip
    shown = dict(ordered)
    return show(args, console, shown, ["task", "operation", "target", "status", "started", "ended"], rows)


def _by_name(api: Api, kind: str, given: str) -> str:
    """The id of the cluster or host (`kind`) named `given`, or `given` itself when it is an id."""
    prefix, path, key = {"cluster": ("domain-c", "/api/vcenter/cluster", "cluster"),
                         "host": ("host-", "/api/vcenter/host", "host")}[kind]  # fmt: skip
    if given.startswith(prefix):
        return given
    found = api.get(path, names=given)
    if len(found) == 1:
        return str(found[0][key])
    if not found:
        raise ClientError(f"no {kind} named {given!r} (give its name or its id, e.g. {prefix}1: `vlcmsim {kind}s`)")
    raise ClientError(f"{len(found)} {kind}s are named {given!r}: give the id of one (`vlcmsim {kind}s`)")


CONFIGURATION = "/api/esx/settings/clusters/{}/configuration"


def config(args: argparse.Namespace, console: Console) -> int:
    """Configuration Profiles: enable, export, import, validate, precheck, compliance, apply."""
    api = _api(args)
    cluster = cluster_id(api, args.cluster)
    base = CONFIGURATION.format(cluster)
    command = args.config_command
    if command == "export":
        print(api.post(f"{base}?action=exportConfig")["config"])
        return 0
    watcher = Watcher(api, console)
    if command == "enable":
        transition = f"/api/esx/settings/clusters/{cluster}/enablement/configuration/transition"
        host = host_id(api, args.from_host)
        code = watcher.follow(api.task_of(f"{transition}?action=importFromHost", host), args.json)
        if code:
            return code
        return watcher.follow(api.task_of(f"{transition}?action=enable"), args.json)
    if command == "import":
        text = Path(args.file).expanduser().read_text()
        return watcher.follow(api.task_of(f"{base}?action=importConfig", {"config": text}), args.json)
    action = {"validate": "validate", "precheck": "precheck", "compliance": "checkCompliance", "apply": "apply"}
    body: dict[str, Any] | None = {} if command == "apply" else None
    task = api.task_of(f"{base}?action={action[command]}", body)
    code = watcher.follow(task, True) if args.json else watcher.follow(task, False)
    if args.json or code:
        return code
    return config_report(api.get(f"/api/cis/tasks/{task}").get("result") or {}, console)


def config_report(result: dict[str, Any], console: Console) -> int:
    """A configuration result as a table per host; 3 when it reports errors or drift."""
    names = {h: v.get("name", h) for h, v in (result.get("host_info") or {}).items()}
    table = Table(show_edge=False, pad_edge=False)
    failed = False
    if "valid" in result:
        for error in result.get("errors") or []:
            console.print(f"error: {error['path']}: " + " ".join(m["default_message"] for m in error["messages"]))
        console.print("valid" if result["valid"] else "not valid")
        return 0 if result["valid"] else 3
    if "cluster_status" in result:
        for column in ("host", "name", "status", "drift (current -> desired)"):
            table.add_column(column)
        for host, r in sorted((result.get("hosts") or {}).items()):
            compliance = r.get("host_compliance") or {}
            drift = [f"{d['path']}: {d.get('current')} -> {d.get('target')}"
                     for d in (compliance.get("compliance_info") or {}).get("sets") or []]  # fmt: skip
            table.add_row(host, names.get(host, host), compliance.get("status", r["host_status"]["status"]),
                          "\n".join(drift))  # fmt: skip
        console.print(table)
        console.print(f"configuration: {result['cluster_status']}")
        failed = result["cluster_status"] != "COMPLIANT"
    elif "host_precheck" in result:
        for column in ("host", "name", "impact", "why"):
            table.add_column(column)
        for host, r in sorted(result["host_precheck"].items()):
            impact = r.get("impact") or {}
            why = "; ".join(m["default_message"] for m in impact.get("info") or [])
            table.add_row(host, names.get(host, host), impact.get("impact", r["status"]["status"]), why)
        console.print(table)
        console.print(f"precheck: {result['status']}")
        failed = result["status"] == "ERROR"
    elif "host_status" in result:
        for column in ("host", "name", "status", "what happened"):
            table.add_column(column)
        for host, r in sorted(result["host_status"].items()):
            notes = [n["message"]["default_message"] for level in ("errors", "info") for n in
                     (r.get("notifications") or {}).get(level) or []]  # fmt: skip
            table.add_row(host, names.get(host, host), r["status"], " ".join(notes))
        console.print(table)
        failed = bool(result.get("failed_hosts"))
    return 3 if failed else 0


def cluster_id(api: Api, given: str) -> str:
    return _by_name(api, "cluster", given)


def host_id(api: Api, given: str) -> str:
    return _by_name(api, "host", given)


def _target(api: Api, given: str) -> tuple[str, str]:
    if given.startswith("host-"):
        return "HostSystem", given
    try:
        return "ClusterComputeResource", cluster_id(api, given)
    except ClientError:
        return "HostSystem", host_id(api, given)


def _api(args: argparse.Namespace) -> Api:
    return Api.from_profile(args.profile)


HANDLERS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "login": login,
    "clusters": clusters,
    "hosts": hosts,
    "compliance": compliance,
    "depots": depots,
    "draft": draft,
    "stage": remediation,
    "apply": remediation,
    "check": remediation,
    "tasks": tasks,
    "config": config,
}

__all__ = ["COMMANDS", "Profile", "add_parsers", "run"]
