"""`vlcmsim depot build`, `inspect`, `serve` and `mirror`."""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from vlcmsim.depot.defaults import default_bundle_spec, write_default_bundle
from vlcmsim.depot.model import AddOn, BaseImage, DepotContent
from vlcmsim.depot.reader import BundleError
from vlcmsim.depot.writer import BundleSpec, ComponentSpec, write_bundle

_SIZE = re.compile(r"^(\d+)([KMG]?)i?B?$", re.IGNORECASE)


def parse_size(text: str) -> int:
    m = _SIZE.match(text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 65536, 256K, 64M, 1G)")
    return int(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2).upper()]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    depot = sub.add_parser("depot", help="build, inspect, serve or mirror depots")
    dsub = depot.add_subparsers(dest="depot_command", required=True)
    b = dsub.add_parser("build", help="write a synthetic, format-faithful offline bundle")
    b.add_argument("out", help="the zip to write")
    b.add_argument("--default", action="store_true", help="the embedded content (8.0 U1-U3, Dell add-on, drivers)")
    b.add_argument(
        "--base-image",
        action="append",
        default=[],
        metavar="VERSION[:DISPLAY]",
        help="an ESXi base image, e.g. 8.0.3-0.0.24022510:8.0 U3 (repeatable)",
    )
    b.add_argument(
        "--component",
        action="append",
        default=[],
        metavar="NAME:VERSION[:VENDOR]",
        help="an independent component (repeatable)",
    )
    b.add_argument(
        "--add-on",
        action="append",
        default=[],
        metavar="NAME:VERSION:COMP=VER[,COMP=VER]",
        help="a vendor add-on carrying the named components (repeatable)",
    )
    b.add_argument("--payload-size", type=parse_size, default=parse_size("256K"), help="bytes per payload (256K)")
    i = dsub.add_parser("inspect", help="print what a bundle holds, checking every checksum")
    i.add_argument("file")
    s = dsub.add_parser("serve", help="serve a folder of bundles (or a mirror) as an online depot over HTTP")
    s.add_argument("dir", nargs="?", help="the folder (its *.zip bundles and files)")
    s.add_argument("--embedded", action="store_true", help="serve vlcmsim's embedded content")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=port_number, default=8090)
    s.add_argument(
        "--header-timeout", type=float, default=10.0, help="seconds a request head may take; silent connections close"
    )
    m = dsub.add_parser("mirror", help="copy an online depot into a folder (then `depot serve` it)")
    m.add_argument("url", help="the online depot: the URL of its index.xml")
    m.add_argument("dir")


def port_number(text: str) -> int:
    """argparse's type of a port: its refusal is a usage line, not an OverflowError's traceback."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 1 to 65535, not {text!r}")
    return int(text)


def serve(args: argparse.Namespace) -> int:
    from vlcmsim.depot.online_server import run

    if args.embedded:
        folder = Path(tempfile.mkdtemp(prefix="vlcmsim-embedded-"))
        write_default_bundle(parse_size("256K"), folder).rename(folder / "vlcmsim-embedded.zip")
    elif args.dir:
        folder = Path(args.dir)
    else:
        print("give a folder, or --embedded", file=sys.stderr)
        return 2
    run(folder, args.host, args.port, args.header_timeout)
    return 0


def mirror(args: argparse.Namespace) -> int:
    from vlcmsim.depot.online_server import mirror as copy_depot

    try:
        files, moved = copy_depot(args.url, Path(args.dir))
    except BundleError as exc:
        print(f"mirror failed: {exc}", file=sys.stderr)
        return 1
    print(f"{args.url} mirrored in {args.dir}: {files} file(s), {moved} bytes fetched")
    return 0


def build(args: argparse.Namespace) -> int:
    if args.default:
        spec = default_bundle_spec(args.payload_size)
    else:
        spec = BundleSpec()
    today = datetime.now(UTC).date().isoformat()
    for text in args.base_image:
        version, _, display = text.partition(":")
        comps = {"ESXi": version, "esx-update": version}
        for name in comps:
            spec.components.append(
                ComponentSpec(name, version, name, display or version, "VMware, Inc.", "VMW", today, args.payload_size)
            )
        spec.base_images.append(BaseImage(version, "ESXi", display or version, datetime.now(UTC), comps))
    for text in args.component:
        parts = text.split(":")
        if len(parts) < 2:
            raise SystemExit(f"--component {text!r}: expected NAME:VERSION[:VENDOR]")
        vendor = parts[2] if len(parts) > 2 else "vlcmsim"
        spec.components.append(
            ComponentSpec(
                parts[0],
                parts[1],
                parts[0],
                parts[1].split("-")[0],
                vendor,
                vendor[:3].upper(),
                today,
                args.payload_size,
            )
        )
    for text in args.add_on:
        parts = text.split(":", 2)
        if len(parts) != 3:
            raise SystemExit(f"--add-on {text!r}: expected NAME:VERSION:COMP=VER[,COMP=VER]")
        comps = dict(pair.split("=", 1) for pair in parts[2].split(",") if "=" in pair)
        for name, version in comps.items():
            if not any(c.name == name and c.version == version for c in spec.components):
                spec.components.append(
                    ComponentSpec(name, version, name, version, "vlcmsim", "VLC", today, args.payload_size)
                )
        spec.add_ons.append(AddOn(parts[0], parts[1], parts[0], parts[1], "vlcmsim", datetime.now(UTC), comps))
    if not spec.components:
        raise SystemExit("nothing to build: give --default, --base-image, --component or --add-on")
    content = write_bundle(spec, Path(args.out))
    print(f"wrote {args.out}: {describe(content)}")
    return 0


def describe(c: DepotContent) -> str:
    return (
        f"{len(c.base_images)} base image(s), {len(c.add_ons)} add-on(s), {len(c.components)} component(s), "
        f"{len(c.vibs)} VIB(s), {sum(p.size for v in c.vibs for p in v.payloads)} payload bytes"
    )


def inspect(args: argparse.Namespace) -> int:
    from vlcmsim.depot.payloads import PayloadStore
    from vlcmsim.depot.reader import BundleError, import_bundle

    with tempfile.TemporaryDirectory() as tmp:
        try:
            content = import_bundle(Path(args.file), PayloadStore(Path(tmp)))
        except (BundleError, zipfile.BadZipFile) as exc:
            print(f"{args.file}: refused: {exc}")
            return 1
    print(f"{args.file}: {describe(content)} (every checksum verified)")
    print(f"vendor: {content.vendor}")
    for b in content.base_images:
        print(f"base image {b.version} ({b.display_name} {b.display_version}, {b.release_date.date()})")
        for name, version in sorted(b.components.items()):
            print(f"    {name} {version}")
    for a in content.add_ons:
        print(f"add-on {a.name} {a.version} ({a.display_name}, {a.vendor})")
        for name, version in sorted(a.components.items()):
            print(f"    {name} {version}")
    vibs = {v.id: v for v in content.vibs}
    for c in sorted(content.components, key=lambda x: (x.name, x.version)):
        print(f"component {c.name} {c.version} ({c.display_name}, {c.vendor})")
        for vib_id in c.vib_ids:
            v = vibs[vib_id]
            sizes = ", ".join(f"{p.name} {p.size} B sha-256 {p.sha256[:16]}..." for p in v.payloads)
            print(f"    VIB {vib_id}: {sizes}")
    return 0


def run(args: argparse.Namespace) -> int:
    commands = {"build": build, "inspect": inspect, "serve": serve, "mirror": mirror}
    return commands[args.depot_command](args)
