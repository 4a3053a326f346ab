"""Following a task to its end: on a terminal, a live table of the hosts
(status, a bar of bytes, retries seen); in a pipe, a line each time a host's
status changes; then the final table, and the reason when it failed.
Ctrl-C offers to cancel the task."""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from vlcmsim.client.api import Api, ClientError
from vlcmsim.client.report import report

POLL = 0.5
ENDED = ("SUCCEEDED", "FAILED")
BYTE_OPERATIONS = ("stage", "sync", "create")  # their progress counts bytes; a remediation's counts percent
TRY = re.compile(r"try (\d+) of \d+")


@dataclass
class HostLine:
    host: str
    name: str
    status: str
    completed: int = 0
    total: int = 0
    message: str = ""
    errors: list[str] = field(default_factory=list)


def hosts_of(info: dict[str, Any]) -> list[HostLine]:
    """Each host's line from a task's (partial) result: a cluster's host_status, or a host's own status."""
    result = info.get("result") or {}
    if not isinstance(result, dict):
        return []
    names = {h: v.get("name", h) for h, v in (result.get("host_info") or {}).items()}
    statuses = result.get("host_status")
    if statuses is None and isinstance(result.get("status"), dict) and info.get("target"):
        statuses = {info["target"]["id"]: result["status"]}
    lines = []
    for host, st in sorted((statuses or {}).items(), key=lambda kv: _order(kv[0])):
        progress = st.get("progress") or {}
        errors = [n["message"]["default_message"] for n in (st.get("notifications") or {}).get("errors", [])]
        lines.append(
            HostLine(
                host,
                names.get(host, host),
                st.get("status", "?"),
                int(progress.get("completed", 0)),
                int(progress.get("total", 0)),
                (progress.get("message") or {}).get("default_message", ""),
                errors,
            )
        )
    return lines


def _order(host: str) -> tuple[int, str]:
    tail = host.rsplit("-", 1)[-1]
    return (int(tail), host) if tail.isdigit() else (0, host)


def human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class Watcher:
    def __init__(self, api: Api, console: Console) -> None:
        self.api = api
        self.console = console
        self.retries: dict[str, int] = {}
        self._last_status: dict[str, str] = {}

    def table(self, info: dict[str, Any]) -> Group:
        progress = info.get("progress") or {}
        total, completed = int(progress.get("total", 0)), int(progress.get("completed", 0))
        in_bytes = info.get("operation") in BYTE_OPERATIONS and total > 100
        head = Text.assemble(
            (f"{info.get('description', {}).get('default_message', info.get('operation', 'task'))}", "bold"),
            f"  {info.get('status')}  ",
            f"{human(completed)} of {human(total)}" if in_bytes else f"{completed * 100 // max(total, 1)}%",
            f"  {(progress.get('message') or {}).get('default_message', '')}",
        )
        table = Table(show_edge=False, pad_edge=False)
        for column in ("host", "name", "status", "progress", "done", "retries", "message"):
            table.add_column(column)
        in_percent = info.get("operation") != "stage"  # a remediation's hosts report percent, a stage's bytes
        for line in hosts_of(info):
            bar = ProgressBar(total=max(line.total, 1), completed=line.completed, width=24)
            table.add_row(
                line.host,
                line.name,
                _styled(line.status),
                bar,
                f"{line.completed}%" if in_percent else f"{human(line.completed)} / {human(line.total)}",
                str(self.retries.get(line.host, 0)),
                (line.errors[0] if line.errors else line.message)[:80],
            )
        return Group(head, table)

    def note(self, info: dict[str, Any], plain: bool) -> None:
        """Count retries; in a pipe, print each host whose status changed."""
        in_percent = info.get("operation") != "stage"
        for line in hosts_of(info):
            before = self._last_status.get(line.host)
            if line.status == "RETRY_PENDING" and before != "RETRY_PENDING":
                self.retries[line.host] = self.retries.get(line.host, 0) + 1
            tried = TRY.search(line.message)  # "try 3 of 3": two retries, whether or not a poll saw them
            if tried:
                self.retries[line.host] = max(self.retries.get(line.host, 0), int(tried.group(1)) - 1)
            if plain and line.status != before:
                extra = f" {line.errors[0]}" if line.errors else ""
                done = f"{line.completed}%" if in_percent else f"{human(line.completed)}/{human(line.total)}"
                print(f"{line.host} {line.name} {line.status} {done}{extra}")
                sys.stdout.flush()
            self._last_status[line.host] = line.status

    def follow(self, task: str, as_json: bool = False) -> int:
        """Until the task ends; 0 when it succeeded, 1 when it failed (saying why)."""
        path = f"/api/cis/tasks/{task}"
        live_view = self.console.is_terminal and not as_json
        try:
            info = self.api.get(path)
            if live_view:
                with Live(self.table(info), console=self.console, refresh_per_second=4) as live:
                    while info["status"] not in ENDED:
                        time.sleep(POLL)
                        info = self.api.get(path)
                        self.note(info, plain=False)
                        live.update(self.table(info))
            else:
                self.note(info, plain=not as_json)
                while info["status"] not in ENDED:
                    time.sleep(POLL)
                    info = self.api.get(path)
                    self.note(info, plain=not as_json)
        except KeyboardInterrupt:
            return self.interrupted(task)
        return self.ended(info, as_json)

    def ended(self, info: dict[str, Any], as_json: bool) -> int:
        if as_json:
            print(json.dumps(info, indent=2))
        else:
            if not self.console.is_terminal and hosts_of(info):
                self.console.print(self.table(info))
            print(f"task {info.get('status')}")
        if info["status"] == "SUCCEEDED":
            return report(info, self.console, quiet=as_json)
        why = [m.get("default_message", "") for m in (info.get("error") or {}).get("messages", [])]
        failed = [f"{line.host} ({line.name}): {'; '.join(line.errors) or line.status}" for line in hosts_of(info)
                  if line.status in ("ERROR", "TIMED_OUT")]  # fmt: skip
        print("failed: " + (" ".join(why) or "the task failed"), file=sys.stderr)
        for text in failed:
            print(f"  {text}", file=sys.stderr)
        return 1

    def interrupted(self, task: str) -> int:
        answer = "n"
        if sys.stdin.isatty():
            try:
                answer = input(f"\nCancel task {task}? [y/N] ").strip().lower()
            except (EOFError, KeyboardInterrupt):
                answer = "n"
        if answer in ("y", "yes"):
            try:
                self.api.post(f"/api/cis/tasks/{task}?action=cancel")
            except ClientError as exc:
                print(f"could not cancel: {exc}", file=sys.stderr)
                return 1
            print(f"task {task} canceled", file=sys.stderr)
        else:
            print(f"task {task} goes on: vlcmsim tasks --watch {task}", file=sys.stderr)
        return 130


def _styled(status: str) -> Text:
    style = {"OK": "green", "ERROR": "red", "TIMED_OUT": "red", "RETRY_PENDING": "yellow", "SKIPPED": "dim"}
    return Text(status, style=style.get(status, ""))
