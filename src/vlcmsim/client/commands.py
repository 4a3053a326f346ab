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
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vlcmsim.client.api import Api, ClientError, Profile, save_profile
from vlcmsim.client.watch import Watcher

SETTINGS = "/api/esx/settings/clusters"
DEFAULT_USER = "administrator@vsphere.local"
UPLOADS = "/vum/repository/uploads"  # vlcmsim's own bundle upload (a vCenter uploads through its UI)

COMMANDS = ("login", "clusters", "hosts", "compliance", "depots", "draft", "stage", "apply", "check", "tasks")


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
    p.add_argument("cluster")

    p = sub.add_parser("depots", parents=[common], help="offline depots")
    dsub = p.add_subparsers(dest="depots_command", required=True)
    d = dsub.add_parser("import", parents=[common], help="import an offline bundle from a file or a URL")
    d.add_argument("source", help="a .zip path (uploaded) or an http(s)/file URL (pulled by the server)")
    d.add_argument("--description", default="")
    dsub.add_parser("list", parents=[common], help="the offline depots")

    p = sub.add_parser("draft", parents=[common], help="edit a cluster's desired image in a draft")
    dsub = p.add_subparsers(dest="draft_command", required=True)
    d = dsub.add_parser("create", parents=[common], help="a draft from the latest commit")
    d.add_argument("cluster")
    d = dsub.add_parser("base-image", parents=[common], help="set the draft's base image")
    d.add_argument("cluster")
    d.add_argument("draft")
    d.add_argument("version")
    d = dsub.add_parser("add-on", parents=[common], help="set the draft's add-on (no name: remove it)")
    d.add_argument("cluster")
    d.add_argument("draft")
    d.add_argument("name", nargs="?")
    d.add_argument("version", nargs="?")
    d = dsub.add_parser("component", parents=[common], help="set a component's version (--remove: take it out)")
    d.add_argument("cluster")
    d.add_argument("draft")
    d.add_argument("name")
    d.add_argument("version", nargs="?")
    d.add_argument("--remove", action="store_true")
    for name, text in (("validate", "validate the draft"), ("commit", "commit the draft")):
        d = dsub.add_parser(name, parents=[common], help=text)
        d.add_argument("cluster")
        d.add_argument("draft")
        if name == "commit":
            d.add_argument("--message", default="")

    for name, text in (
        ("stage", "stage the cluster's desired image on its hosts"),
        ("apply", "remediate the cluster's hosts to its desired image"),
        ("check", "run the pre-checks of a remediation"),
    ):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("cluster")
        p.add_argument("--hosts", help="comma-separated host ids (default: every host)")
        if name != "check":
            p.add_argument("--commit", help="at least this commit (the newest is used)")
        p.add_argument("--watch", action="store_true", help="follow the task live; exit non-zero when it fails")

    p = sub.add_parser("tasks", parents=[common], help="recent tasks, or follow one")
    p.add_argument("--watch", metavar="TASK", help="follow this task to its end")


def run(args: argparse.Namespace) -> int:
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
    value = _api(args).get("/api/vcenter/host", clusters=args.cluster)
    rows = [[h["host"], h["name"], h["connection_state"], h.get("power_state")] for h in value]
    return show(args, console, value, ["host", "name", "connection", "power"], rows)


def compliance(args: argparse.Namespace, console: Console) -> int:
    value = _api(args).get(f"{SETTINGS}/{args.cluster}/software/compliance")
    rows = [
        [h, v.get("status"), v.get("stage_status"), v.get("impact"), (v.get("commit") or "")]
        for h, v in sorted((value.get("hosts") or {}).items())
    ]
    if not args.json:
        console.print(f"{args.cluster}: {value.get('status')} (commit {value.get('commit')}), {value.get('impact')}")
    return show(args, console, value, ["host", "status", "stage status", "impact", "commit"], rows)


def depots(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    if args.depots_command == "list":
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


def draft(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    base = f"{SETTINGS}/{args.cluster}/software/drafts"
    command = args.draft_command
    if command == "create":
        created = api.post(base)
        print(json.dumps(created) if args.json else created)
        return 0
    here = f"{base}/{args.draft}/software"
    if command == "base-image":
        api.call("PUT", f"{here}/base-image", json={"version": args.version})
    elif command == "add-on":
        if args.name:
            api.call("PUT", f"{here}/add-on", json={"name": args.name, "version": args.version})
        else:
            api.call("DELETE", f"{here}/add-on")
    elif command == "component":
        if args.remove:
            api.call("DELETE", f"{here}/components/{args.name}")
        else:
            if not args.version:
                raise ClientError("give the component's version, or --remove")
            api.call("PATCH", f"{here}/components", json={"components_to_set": {args.name: args.version}})
    elif command == "validate":
        return Watcher(api, console).follow(api.task_of(f"{base}/{args.draft}?action=validate"), args.json)
    elif command == "commit":
        task = api.task_of(f"{base}/{args.draft}?action=commit", {"message": args.message})
        return Watcher(api, console).follow(task, args.json)
    if not args.json:
        print(f"draft {args.draft} of {args.cluster}: {command} set")
    return 0


def remediation(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    spec: dict[str, Any] = {}
    if args.hosts:
        spec["hosts"] = [h.strip() for h in args.hosts.split(",") if h.strip()]
    if getattr(args, "commit", None):
        spec["commit"] = args.commit
    if args.command == "apply":
        spec["accept_eula"] = True
    task = api.task_of(f"{SETTINGS}/{args.cluster}/software?action={args.command}", spec)
    if args.watch:
        return Watcher(api, console).follow(task, args.json)
    print(json.dumps(task) if args.json else task)
    return 0


def tasks(args: argparse.Namespace, console: Console) -> int:
    api = _api(args)
    if args.watch:
        return Watcher(api, console).follow(args.watch, args.json)
    value = api.get("/api/cis/tasks")
    ordered = sorted(value.items(), key=lambda kv: kv[1].get("start_time") or "")
    rows = [
        [t, v.get("operation"), (v.get("target") or {}).get("id"), v.get("status"), v.get("start_time")]
        for t, v in ordered[-30:]
    ]
    return show(args, console, value, ["task", "operation", "target", "status", "started"], rows)


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
}

__all__ = ["COMMANDS", "Profile", "add_parsers", "run"]
