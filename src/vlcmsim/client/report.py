"""What a task that ended SUCCEEDED says in its result: the checks of a
pre-check and their issues, the notifications of a validation, the id a depot
import or a commit made. A task can succeed with a result whose status is
ERROR (a check found a disconnected host, a draft names a component no depot
has): to the user that is a failure, and the exit code says so.

Exit codes of the commands that follow a task:
  0  the task succeeded and its result reports no error
  1  the task failed
  2  the command could not run (no login, bad arguments, the server refused it)
  3  the task succeeded, but its result reports errors (printed)
  130  interrupted (Ctrl-C) without canceling the task
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table

RESULT_HAS_ERRORS = 3


def _text(message: Any) -> str:
    return str((message or {}).get("default_message", "")) if isinstance(message, dict) else str(message or "")


def notification_lines(notifications: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(level, text) of every notification: errors first."""
    out = []
    for level in ("errors", "warnings", "info"):
        for n in (notifications or {}).get(level) or []:
            text = _text(n.get("message"))
            resolution = _text(n.get("resolution"))
            out.append((level[:-1] if level != "info" else "info", text + (f" ({resolution})" if resolution else "")))
    return out


def checks_table(result: dict[str, Any]) -> Table:
    """Each entity's checks: cluster or host, check, status, and the first issue."""
    names = {h: v.get("name", h) for h, v in (result.get("host_info") or {}).items()}
    table = Table(show_edge=False, pad_edge=False)
    for column in ("entity", "check", "status", "issue"):
        table.add_column(column)
    for entity in result.get("entity_results") or []:
        who = entity.get("cluster") or names.get(entity.get("host", ""), entity.get("host", ""))
        for status in entity.get("check_statuses") or []:
            # an issue is a message (vSphere 7's CheckStatus) or a check info with a description
            issues = [_text(i.get("description") or i.get("name") or i) for i in status.get("issues") or []]
            table.add_row(str(who), _text((status.get("check") or {}).get("name")), status.get("status", ""),
                          "; ".join(i for i in issues if i))  # fmt: skip
    return table


def report(info: dict[str, Any], console: Console, quiet: bool = False) -> int:
    """Print what the succeeded task's result says the user must know (nothing when `quiet`:
    `--json` printed it all); its exit code."""
    if quiet:
        console = Console(file=io.StringIO())
    result = info.get("result")
    if not isinstance(result, dict):
        if info.get("operation") == "commit" and result:
            console.print(f"commit {result}")
        return 0
    failed = False
    if "entity_results" in result:  # a pre-check
        console.print(checks_table(result))
        failed = result.get("status") == "ERROR"
        console.print(f"checks: {result.get('status')}")
    for error in result.get("errors") or []:  # a document's errors, each at its JSON path
        if isinstance(error, dict) and "path" in error:
            texts = " ".join(_text(m) for m in error.get("messages") or [])
            console.print(f"error: {error['path']}: {texts}", markup=False)
            failed = True
    if result.get("status") == "ERROR" and isinstance(result.get("error"), dict):
        console.print(f"error: {_text(result['error'])}", markup=False)
        failed = True
    notes = notification_lines(result.get("notifications"))
    for level, text in notes:
        console.print(f"{level}: {text}", markup=False)
    if any(level == "error" for level, _ in notes):
        failed = True
    if result.get("depot"):
        console.print(f"depot {result['depot']}")
    if failed:
        console.print("the task succeeded, but its result reports errors (exit code 3)")
    return RESULT_HAS_ERRORS if failed else 0
