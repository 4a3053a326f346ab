"""What every service module shares: starting the task of a `$task` operation."""

from __future__ import annotations

from collections.abc import Sequence

from vlcmsim.backend import Call
from vlcmsim.inventory.model import CLUSTER_TYPE, HOST_TYPE
from vlcmsim.lifecycle import errors
from vlcmsim.tasks.manager import TargetBusy, Work
from vlcmsim.vapi.errors import Message

__all__ = ["CLUSTER_TYPE", "HOST_TYPE", "start_done_task", "start_task"]


def start_task(
    call: Call,
    work: Work,
    target: tuple[str, str] | None = None,
    description: str | None = None,
    cancelable: bool = False,
    exclusive: bool = False,
    locks: Sequence[tuple[str, str]] = (),
) -> str:
    """Start `work` as the task of the operation being called: its service,
    operation name and result type come from the model; returns the task id.
    An `exclusive` task holds its target (and any `locks`) while it runs: it
    does not start while another holds one of them, in any process
    (NotAllowedInCurrentState)."""
    spec = call.operation
    if spec is None or not spec.is_task:
        raise RuntimeError("start_task is for the handlers of $task operations")
    operation = spec.base_operation
    result_td = spec.task_result if spec.task_result and spec.task_result["kind"] != "void" else None
    text = description or operation.replace("_", " ").capitalize()
    held = [*locks, *([target] if exclusive and target else [])]
    try:
        return call.backend.tasks.start(
            service=spec.service,
            operation=operation,
            description=Message(f"{spec.service}.{operation}", text),
            work=work,
            target=target,
            user=call.task_user,
            result_td=result_td,
            cancelable=cancelable,
            locks=held,
        )
    except TargetBusy as busy:
        holder = busy.holder
        kind = "host" if held and held[0][0] == HOST_TYPE else "cluster"
        raise errors.operation_in_progress(
            holder.operation if holder else "another operation", holder.id if holder else "", kind
        ) from None


def start_done_task(call: Call, description: str) -> str:
    """The task of a `$task` operation whose work the handler has already done
    (a delete checked and made before answering): it succeeds at once."""

    async def work(_: object) -> None:
        return None

    return start_task(call, work, description=description)
