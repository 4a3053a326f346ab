"""Writes format-faithful offline bundles (depot zips) with synthetic payloads."""

from __future__ import annotations

import hashlib
import io
import random
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vlcmsim.depot import metadata as md
from vlcmsim.depot.ar import MAGIC, write_member
from vlcmsim.depot.model import AddOn, BaseImage, Component, DepotContent, Payload, Vib
from vlcmsim.depot.payloads import PayloadStore

CHUNK = 1 << 20


@dataclass
class ComponentSpec:
    """A component to write, with one VIB of one payload of `payload_size` bytes."""

    name: str
    version: str
    display_name: str
    display_version: str
    vendor: str
    vib_vendor: str
    release_date: str
    payload_size: int = 64 * 1024
    summary: str = ""


@dataclass
class BundleSpec:
    vendor: str = "VMware, Inc."
    vendor_code: str = "VMW"
    components: list[ComponentSpec] = field(default_factory=list)
    base_images: list[BaseImage] = field(default_factory=list)
    add_ons: list[AddOn] = field(default_factory=list)


def payload_chunks(seed: str, size: int) -> Iterator[bytes]:
    """Deterministic pseudo-random bytes: the same component always has the same payload."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    left = size
    while left > 0:
        n = min(CHUNK, left)
        yield rng.randbytes(n)
        left -= n


def _vib_name(component: str) -> str:
    return component.lower().replace(" ", "-")[:40]


def write_bundle(spec: BundleSpec, out: Path) -> DepotContent:
    """Write the bundle to `out` (atomically) and return what it holds."""
    from datetime import datetime

    content = DepotContent(vendor=spec.vendor, base_images=list(spec.base_images), add_ons=list(spec.add_ons))
    tmp = out.with_name(out.name + ".part")
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("index.xml", md.index_xml(spec.vendor, spec.vendor_code))
        zf.writestr("vendor-index.xml", md.vendor_index_xml("8.0.0"))
        for cs in spec.components:
            vib = Vib(name=_vib_name(cs.name), version=cs.version, vendor=cs.vib_vendor, summary=cs.summary)
            payload_path = Path(scratch) / "payload"
            h = hashlib.sha256()
            with open(payload_path, "wb") as f:
                for chunk in payload_chunks(f"{cs.name}/{cs.version}", cs.payload_size):
                    f.write(chunk)
                    h.update(chunk)
            vib.payloads = [Payload(vib.name[:16], "vgz", cs.payload_size, h.hexdigest())]
            vib.relative_path = f"vib20/{vib.name}/{vib.id}.vib"
            _pack_vib(zf, vib, {vib.payloads[0].sha256: payload_path}, b"vlcmsim synthetic signature\n")
            content.vibs.append(vib)
            content.components.append(
                Component(
                    name=cs.name,
                    version=cs.version,
                    display_name=cs.display_name,
                    display_version=cs.display_version,
                    vendor=cs.vendor,
                    release_date=datetime.fromisoformat(cs.release_date),
                    summary=cs.summary or cs.display_name,
                    vib_ids=[vib.id],
                )
            )
        zf.writestr("metadata.zip", metadata_zip(content))
    tmp.replace(out)
    return content


def metadata_zip(content: DepotContent) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as mz:
        root = md.Element("metadataResponse")
        md.sub(root, "version", "3.0")
        for c in content.components:
            root.append(md.bulletin_xml(c))
            mz.writestr(f"bulletins/{c.bulletin_id}.xml", md.to_bytes(md.bulletin_xml(c)))
        for v in content.vibs:
            root.append(md.vib_descriptor(v, with_location=True))
            mz.writestr(f"vibs/{v.id}.xml", md.to_bytes(md.vib_descriptor(v, with_location=True)))
        for b in content.base_images:
            mz.writestr(f"baseimages/ESXi_{b.version}.xml", md.to_bytes(md.base_image_xml(b)))
        for a in content.add_ons:
            mz.writestr(f"addons/{a.name}_{a.version}.xml", md.to_bytes(md.add_on_xml(a)))
        mz.writestr("vmware.xml", md.to_bytes(root))
    return buf.getvalue()


def _pack_vib(zf: zipfile.ZipFile, vib: Vib, files: dict[str, Path], signature: bytes) -> None:
    """Write the VIB's `ar` archive (descriptor, signature, payloads read from
    `files` by sha-256) at its relative path; sets its packed size and checksum."""
    vib_hash = hashlib.sha256()
    with zf.open(vib.relative_path, "w", force_zip64=True) as entry:
        writer: Any = _HashingWriter(entry, vib_hash)
        writer.write(MAGIC)
        descriptor = md.to_bytes(md.vib_descriptor(vib, with_location=False))
        write_member(writer, "descriptor.xml", iter([descriptor]), len(descriptor))
        write_member(writer, "sig.pkcs7", iter([signature]), len(signature))
        for p in vib.payloads:
            write_member(writer, p.name, _chunks(files[p.sha256]), p.size)
        vib.packed_size = writer.size
    vib.sha256 = vib_hash.hexdigest()


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


class _HashingWriter(io.RawIOBase):
    def __init__(self, target: Any, h: Any) -> None:
        self.target = target
        self.h = h
        self.size = 0

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.target.write(data)
        self.h.update(data)
        self.size += len(data)
        return len(data)


def export_bundle(content: DepotContent, payloads: PayloadStore, out: Path) -> DepotContent:
    """Write an offline bundle of `content` to `out` (atomically), each VIB packed
    anew from the payload bytes the store holds; returns what it holds (its VIBs
    with their new checksums)."""
    exported = DepotContent(
        vendor=content.vendor,
        components=list(content.components),
        base_images=list(content.base_images),
        add_ons=list(content.add_ons),
    )
    tmp = out.with_name(f"{out.name}.{uuid.uuid4().hex[:8]}.part")  # concurrent exports do not share it
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("index.xml", md.index_xml(content.vendor, "VMW"))
        zf.writestr("vendor-index.xml", md.vendor_index_xml("8.0.0"))
        for original in content.vibs:
            vib = replace(original, relative_path=f"vib20/{original.name}/{original.id}.vib")
            _pack_vib(zf, vib, {p.sha256: payloads.path(p.sha256) for p in vib.payloads}, b"vlcmsim export\n")
            exported.vibs.append(vib)
        zf.writestr("metadata.zip", metadata_zip(exported))
    tmp.replace(out)
    return exported
