"""`vlcmsim estate import | export`: a vCenter's (or a running vlcmsim's) estate
to a file, optionally anonymized; `vlcmsim serve --estate FILE` serves one."""

from __future__ import annotations

import argparse
import ssl
import sys
from pathlib import Path

from vlcmsim.estate.anonymize import anonymize
from vlcmsim.estate.crawl import crawl
from vlcmsim.estate.model import save
from vlcmsim.estate.saved import read_saved

DEFAULT_USER = "administrator@vsphere.local"
DEFAULT_PASSWORD = "VMware1!"


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    e = sub.add_parser("estate", help="read a vCenter's estate into a file (import, export)")
    esub = e.add_subparsers(dest="estate_command", required=True)
    imp = esub.add_parser("import", help="crawl a live vCenter (read only) into an estate file")
    imp.add_argument(
        "--from",
        dest="source",
        required=True,
        help="the vCenter's URL (https://vcenter.example), or a `govc object.save` folder (its inventory only)",
    )
    exp = esub.add_parser("export", help="the running vlcmsim's estate, into a file")
    exp.add_argument("--server", default="https://127.0.0.1:8443", help="the server (default https://127.0.0.1:8443)")
    for p in (imp, exp):
        p.add_argument("--user", default=DEFAULT_USER)
        p.add_argument("--password", default=DEFAULT_PASSWORD)
        p.add_argument("--out", required=True, help="the estate file to write (JSON)")
        p.add_argument("--ca-file", help="the server's certificate (default: the system's trust store)")
        p.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
        p.add_argument("--anonymize", action="store_true", help="replace names, hostnames, IPs and UUIDs")


def run(args: argparse.Namespace) -> int:
    url = args.source if args.estate_command == "import" else args.server
    verify: ssl.SSLContext | bool = True
    if args.insecure:
        verify = False
    elif args.ca_file:
        verify = ssl.create_default_context(cafile=args.ca_file)
    if args.estate_command == "import" and Path(args.source).is_dir():
        estate = read_saved(Path(args.source))
    else:
        estate = crawl(url, args.user, args.password, verify, progress=lambda s: print(f"  {s}", file=sys.stderr))
    if args.anonymize:
        estate = anonymize(estate)
    save(estate, Path(args.out))
    hosts = sum(len(c.get("hosts") or ()) for dc in estate["datacenters"] for c in dc.get("clusters") or ()) + sum(
        len(dc.get("hosts") or ()) for dc in estate["datacenters"]
    )
    print(f"{args.out}: {len(estate['datacenters'])} datacenter(s), {hosts} host(s)")
    for problem in estate["problems"]:
        print(f"  not read: {problem}", file=sys.stderr)
    return 0
