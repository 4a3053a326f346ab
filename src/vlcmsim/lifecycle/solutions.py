"""Solutions: components that a vCenter solution (vSAN, NSX...) adds to a
cluster's image, outside the base image and add-on. The simulated one (ours):
vSAN File Services, whose agent component the embedded depot holds."""

from __future__ import annotations

from dataclasses import dataclass

from vlcmsim.depot import defaults as d


@dataclass(frozen=True)
class SolutionRelease:
    display_name: str
    display_version: str
    components: dict[str, str]  # component -> its version in this release


SOLUTIONS: dict[str, dict[str, SolutionRelease]] = {
    "com.vmware.vsan.fileservices": {
        d.FS_AGENT_VERSION.split("-")[0]: SolutionRelease(
            "vSAN File Services", "8.0 U3", {d.FS_AGENT: d.FS_AGENT_VERSION}
        ),
    },
}


def release(solution: str, version: str) -> SolutionRelease | None:
    return SOLUTIONS.get(solution, {}).get(version)


def solution_problems(solutions: dict[str, tuple[str, list[str]]]) -> list[str]:
    """What is wrong with the solutions an image names."""
    found = []
    for name, (version, components) in sorted(solutions.items()):
        r = release(name, version)
        if r is None:
            found.append(f"solution {name} has no version {version}")
            continue
        unknown = sorted(set(components) - set(r.components))
        if unknown:
            found.append(f"solution {name} {version} has no component {', '.join(unknown)}")
    return found


def solution_components(solutions: dict[str, tuple[str, list[str]]]) -> dict[str, str]:
    """component -> version, of every component the image's solutions add."""
    out: dict[str, str] = {}
    for name, (version, components) in solutions.items():
        r = release(name, version)
        if r is not None:
            out.update({c: r.components[c] for c in components if c in r.components})
    return out
