"""What each operation and type is, for the API description: read at run time
from the official SDK's bindings when they are installed (`vmware-vcenter`,
the same source the shapes come from — their documentation is theirs, so it is
read from them, never copied into this project); otherwise a line made from
the operation's own names."""

from __future__ import annotations

import importlib
import inspect
import re
from functools import cache
from typing import Any

_ROLE = re.compile(r":(?:class|func|attr|meth|mod|obj):`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")
_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_+")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


@cache
def _binding(vapi_id: str) -> Any | None:
    """The bindings' class (or method) of a vAPI service, structure or enum id, or None."""
    parts = vapi_id.split(".")
    for i in range(len(parts) - 1, 1, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:i]) + "_client")
        except ImportError:
            continue
        for part in parts[i:]:
            found = getattr(found, _camel(part), None)
            if found is None:
                break
        if found is not None:
            return found
    return None


def _clean(text: str) -> str:
    text = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1] if "." in m.group(1) else m.group(1), text)
    text = _LINK.sub(r"\1", _LITERAL.sub(r"\1", _BOLD.sub(r"\1", text)))
    return text


def _paragraphs(doc: str) -> list[str]:
    """The prose paragraphs: no directives (.. tip::), no version notes, no parameter lists."""
    out = []
    for block in re.split(r"\n\s*\n", doc):
        block = " ".join(line.strip() for line in block.strip().splitlines())
        if not block or block.startswith((".. ", ":param", ":type", ":rtype", ":return", ":raise")):
            continue
        if block.startswith(("This class was added", "This method was added", "This attribute was added")):
            continue
        out.append(_clean(re.sub(r"\s*This (?:class|method|attribute|enumeration) was added in .*$", "", block)))
    return [p for p in out if p]


def _summary(paragraphs: list[str]) -> str:
    first = paragraphs[0]
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    return sentence if len(sentence) <= 200 else sentence[:197] + "..."


@cache
def operation_doc(service: str, operation: str) -> tuple[str, str]:
    """(summary, description) of an operation."""
    cls = _binding(service)
    method = getattr(cls, operation.replace("$", "_"), None) if cls is not None else None
    doc = inspect.getdoc(method) if method is not None else None
    paragraphs = _paragraphs(doc) if doc else []
    if paragraphs:
        return _summary(paragraphs), "\n\n".join(paragraphs)
    name = operation.replace("$task", "").replace("_", " ")
    owner = service.removeprefix("com.vmware.").replace("_", " ").replace(".", " / ")
    task = " (a task: its id is answered, its result read at /api/cis/tasks/{task})" if "$task" in operation else ""
    return f"{name[:1].upper()}{name[1:]}: {owner}", f"The {name} operation of {service}{task}."


@cache
def type_doc(vapi_id: str) -> str | None:
    """The description of a structure or an enumeration."""
    found = _binding(vapi_id)
    doc = inspect.getdoc(found) if inspect.isclass(found) else None
    paragraphs = _paragraphs(doc) if doc else []
    return "\n\n".join(paragraphs) if paragraphs else None
