"""The ISO_IMAGE export: an ISO 9660 image (Rock Ridge and Joliet names) laid
out like an ESXi installer's: BOOT.CFG naming the modules the installer loads,
the image's VIBs under /VIBS, and the software specification as IMAGE.JSON.
Written with pycdlib, from the payload bytes the depots hold."""

from __future__ import annotations

import io
import tempfile
import uuid
import zipfile
from pathlib import Path

import pycdlib

from vlcmsim.depot.model import DepotContent
from vlcmsim.depot.payloads import PayloadStore
from vlcmsim.depot.writer import export_bundle


def _iso_name(index: int, suffix: str) -> str:
    return f"/M{index:05d}.{suffix};1"  # an ISO 9660 level 1 name; Rock Ridge and Joliet carry the real one


def export_iso(content: DepotContent, payloads: PayloadStore, spec_json: bytes, title: str, out: Path) -> None:
    """Write the ISO of `content` to `out` (atomically)."""
    with tempfile.TemporaryDirectory() as scratch:
        # the VIBs as a bundle packs them (descriptor, signature, payloads), then copied into the ISO
        bundle = Path(scratch) / "bundle.zip"
        exported = export_bundle(content, payloads, bundle)
        iso = pycdlib.PyCdlib()
        iso.new(interchange_level=3, vol_ident="VLCMSIM_ESXI", rock_ridge="1.09", joliet=3)
        iso.add_directory("/VIBS", rr_name="vibs", joliet_path="/vibs")
        modules = []
        opened = []
        with zipfile.ZipFile(bundle) as zf:
            for i, vib in enumerate(exported.vibs):
                data = zf.read(vib.relative_path)
                name = f"{vib.id}.vib"
                fp = io.BytesIO(data)
                opened.append(fp)
                iso.add_fp(fp, len(data), f"/VIBS{_iso_name(i, 'VIB')}", rr_name=name, joliet_path=f"/vibs/{name}")
                modules.append(f"/vibs/{name}")
        boot = (
            "bootstate=0\n"
            f"title=Loading ESXi installer: {title}\n"
            "kernel=/b.b00\n"
            f"modules={' --- '.join(modules)}\n"
            "build=\nupdated=0\n"
        ).encode()
        for path, name, data in (("/BOOT.CFG;1", "boot.cfg", boot), ("/IMAGE.JSN;1", "image.json", spec_json)):
            fp = io.BytesIO(data)
            opened.append(fp)
            iso.add_fp(fp, len(data), path, rr_name=name, joliet_path=f"/{name}")
        tmp = out.with_name(f"{out.name}.{uuid.uuid4().hex[:8]}.part")
        iso.write(str(tmp))
        iso.close()
        tmp.replace(out)
