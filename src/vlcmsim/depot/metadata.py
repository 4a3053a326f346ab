"""The XML of an offline bundle: index.xml, vendor-index.xml and the documents
of metadata.zip (vmware.xml, bulletins/, vibs/, and vlcmsim's baseimages/ and
addons/ — see docs/offline-bundle.md).

The readers take what the public layout allows and ignore what they do not
know, so that bundles from other tools (vendor driver bundles) load."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import defusedxml.ElementTree as defused
from defusedxml import DefusedXmlException

from vlcmsim.depot.model import AddOn, BaseImage, Component, Payload, Vib


class MetadataError(ValueError):
    pass


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _date(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00"


def _parse_date(text: str | None) -> datetime:
    if not text:
        return datetime(1970, 1, 1, tzinfo=UTC)
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


Element = ET.Element


def to_bytes(el: ET.Element) -> bytes:
    data: bytes = ET.tostring(el, encoding="utf-8", xml_declaration=True)
    return data


def parse(data: bytes, what: str) -> ET.Element:
    """The document's tree; DTDs, entities and external references are refused
    by the parser itself, whatever the document's encoding (UTF-16 included)."""
    try:
        root: ET.Element = defused.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise MetadataError(f"{what}: DTDs and entities are not allowed") from None
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise MetadataError(f"{what} is not well-formed XML: {exc}") from None
    return root


def _text(el: ET.Element, tag: str, default: str = "") -> str:
    child = el.find(tag)
    return (child.text or "").strip() if child is not None and child.text else default


# -- index.xml and vendor-index.xml -------------------------------------------


def index_xml(vendor: str, code: str) -> bytes:
    root = ET.Element("vendorList")
    v = sub(root, "vendor")
    sub(v, "name", vendor)
    sub(v, "code", code)
    sub(v, "indexfile", "vendor-index.xml")
    sub(v, "patchUrl", "")
    sub(v, "relativePath", "")
    content = sub(v, "content")
    sub(content, "name", "VMware ESXi")
    sub(content, "type", "http://www.vmware.com/depotmanagement/esx")
    return to_bytes(root)


def parse_index(data: bytes) -> list[tuple[str, str, str]]:
    """(vendor name, relative path, index file) of each vendor."""
    root = parse(data, "index.xml")
    vendors = []
    for v in root.iter("vendor"):
        indexfile = _text(v, "indexfile")
        if not indexfile:
            raise MetadataError("index.xml: a vendor has no indexfile")
        vendors.append((_text(v, "name", "unknown"), _text(v, "relativePath"), indexfile))
    if not vendors:
        raise MetadataError("index.xml lists no vendor")
    return vendors


def vendor_index_xml(version: str) -> bytes:
    root = ET.Element("metaList")
    m = sub(root, "metadata")
    sub(m, "productId", "embeddedEsx")
    sub(m, "version", version)
    sub(m, "locale", "")
    sub(m, "url", "metadata.zip")
    return to_bytes(root)


def parse_vendor_index(data: bytes) -> list[str]:
    root = parse(data, "vendor-index.xml")
    urls = [_text(m, "url") for m in root.iter("metadata") if _text(m, "url")]
    if not urls:
        raise MetadataError("vendor-index.xml names no metadata file")
    return urls


# -- VIB descriptors ------------------------------------------------------------


def vib_descriptor(vib: Vib, with_location: bool) -> ET.Element:
    """The VIB's descriptor.xml; in metadata.zip it also carries where the VIB
    lies in the bundle, its packed size and its sha-256."""
    root = ET.Element("vib", version="5.0")
    sub(root, "type", vib.vib_type)
    sub(root, "name", vib.name)
    sub(root, "version", vib.version)
    sub(root, "vendor", vib.vendor)
    sub(root, "summary", vib.summary or vib.name)
    sub(root, "description", vib.summary or vib.name)
    sub(root, "release-date", "")
    req = sub(root, "system-requires")
    sub(req, "maintenance-mode", "true")
    sub(root, "acceptance-level", vib.acceptance_level)
    sub(root, "live-install-allowed", "false")
    payloads = sub(root, "payloads")
    for p in vib.payloads:
        pe = sub(payloads, "payload", name=p.name, type=p.type, size=str(p.size))
        sub(pe, "checksum", p.sha256, **{"checksum-type": "sha-256"})
    if with_location:
        sub(root, "relative-path", vib.relative_path)
        sub(root, "packed-size", str(vib.packed_size))
        sub(root, "checksum", vib.sha256, **{"checksum-type": "sha-256"})
    return root


def parse_vib(el: ET.Element, what: str) -> Vib:
    name, version, vendor = _text(el, "name"), _text(el, "version"), _text(el, "vendor")
    if not (name and version and vendor):
        raise MetadataError(f"{what}: a VIB lacks its name, version or vendor")
    payloads = []
    for p in el.iterfind("payloads/payload"):
        sha = next(
            ((c.text or "").strip().lower() for c in p.iter("checksum") if c.get("checksum-type") == "sha-256"),
            "",
        )
        try:
            size = int(p.get("size", "-1"))
        except ValueError:
            size = -1
        if not p.get("name") or not sha or size < 0:
            raise MetadataError(f"{what}: payload of VIB {name} lacks its name, size or sha-256")
        payloads.append(Payload(p.get("name", ""), p.get("type", "vgz"), size, sha))
    vib_sha = next(
        ((c.text or "").strip().lower() for c in el.findall("checksum") if c.get("checksum-type") == "sha-256"),
        "",
    )
    packed = _text(el, "packed-size", "0")
    return Vib(
        name=name,
        version=version,
        vendor=vendor,
        vib_type=_text(el, "type", "bootbank"),
        acceptance_level=_text(el, "acceptance-level", "partner"),
        summary=_text(el, "summary"),
        payloads=payloads,
        relative_path=_text(el, "relative-path"),
        packed_size=int(packed) if packed.isdigit() else 0,
        sha256=vib_sha,
    )


# -- bulletins (components) -------------------------------------------------------


def bulletin_xml(c: Component) -> ET.Element:
    root = ET.Element("bulletin")
    sub(root, "id", c.bulletin_id)
    sub(root, "vendor", c.vendor)
    sub(root, "summary", c.summary or c.display_name)
    sub(root, "severity", "general")
    sub(root, "category", c.category.lower())
    sub(root, "urgency", c.urgency.lower())
    sub(root, "releaseType", "extension")
    sub(root, "releaseDate", _date(c.release_date))
    sub(root, "componentNameSpec", name=c.name, uiString=c.display_name)
    sub(root, "componentVersionSpec", version=c.version, uiString=c.display_version)
    vibs = sub(root, "vibList")
    for vib_id in c.vib_ids:
        sub(vibs, "vibID", vib_id)
    return root


def parse_bulletin(el: ET.Element, what: str) -> Component | None:
    """A component, or None for a bulletin that is not one (a plain patch)."""
    name_spec, version_spec = el.find("componentNameSpec"), el.find("componentVersionSpec")
    if name_spec is None or version_spec is None:
        return None
    name, version = name_spec.get("name", ""), version_spec.get("version", "")
    if not name or not version:
        raise MetadataError(f"{what}: componentNameSpec/componentVersionSpec without name or version")
    return Component(
        name=name,
        version=version,
        display_name=name_spec.get("uiString") or name,
        display_version=version_spec.get("uiString") or version,
        vendor=_text(el, "vendor", "unknown"),
        release_date=_parse_date(_text(el, "releaseDate")),
        summary=_text(el, "summary"),
        category=_text(el, "category", "enhancement").upper(),
        urgency=_text(el, "urgency", "important").upper(),
        vib_ids=[(v.text or "").strip() for v in el.iterfind("vibList/vibID") if v.text],
    )


# -- base images and add-ons (vlcmsim's layout) -------------------------------------


def _components(parent: ET.Element, components: dict[str, str]) -> None:
    el = sub(parent, "components")
    for name, version in sorted(components.items()):
        sub(el, "component", name=name, version=version)


def _parse_components(el: ET.Element) -> dict[str, str]:
    return {c.get("name", ""): c.get("version", "") for c in el.iterfind("components/component") if c.get("name")}


def base_image_xml(b: BaseImage) -> ET.Element:
    root = ET.Element("baseImage")
    sub(root, "releaseID", f"ESXi_{b.version}")
    sub(root, "releaseType", "baseImage")
    sub(root, "category", b.category.lower())
    sub(root, "summary", b.summary or b.display_name)
    sub(root, "releaseDate", _date(b.release_date))
    sub(root, "versionSpec", version=b.version, uiString=b.display_version, displayName=b.display_name)
    _components(root, b.components)
    return root


def parse_base_image(el: ET.Element, what: str) -> BaseImage:
    spec = el.find("versionSpec")
    if spec is None or not spec.get("version"):
        raise MetadataError(f"{what}: a base image without versionSpec")
    version = spec.get("version", "")
    return BaseImage(
        version=version,
        display_name=spec.get("displayName") or "ESXi",
        display_version=spec.get("uiString") or version,
        release_date=_parse_date(_text(el, "releaseDate")),
        components=_parse_components(el),
        summary=_text(el, "summary"),
        category=_text(el, "category", "enhancement").upper(),
    )


def add_on_xml(a: AddOn) -> ET.Element:
    root = ET.Element("addOn")
    sub(root, "releaseID", f"{a.name}:{a.version}")
    sub(root, "releaseType", "addOn")
    sub(root, "vendor", a.vendor)
    sub(root, "category", a.category.lower())
    sub(root, "summary", a.summary or a.display_name)
    sub(root, "releaseDate", _date(a.release_date))
    sub(root, "nameSpec", name=a.name, uiString=a.display_name)
    sub(root, "versionSpec", version=a.version, uiString=a.display_version)
    _components(root, a.components)
    removed = sub(root, "removedComponents")
    for name in a.removed_components:
        sub(removed, "name", name)
    return root


def parse_add_on(el: ET.Element, what: str) -> AddOn:
    name_spec, version_spec = el.find("nameSpec"), el.find("versionSpec")
    if name_spec is None or version_spec is None or not name_spec.get("name") or not version_spec.get("version"):
        raise MetadataError(f"{what}: an add-on without nameSpec or versionSpec")
    name, version = name_spec.get("name", ""), version_spec.get("version", "")
    return AddOn(
        name=name,
        version=version,
        display_name=name_spec.get("uiString") or name,
        display_version=version_spec.get("uiString") or version,
        vendor=_text(el, "vendor", "unknown"),
        release_date=_parse_date(_text(el, "releaseDate")),
        components=_parse_components(el),
        removed_components=[(n.text or "").strip() for n in el.iterfind("removedComponents/name") if n.text],
        summary=_text(el, "summary"),
        category=_text(el, "category", "enhancement").upper(),
    )
