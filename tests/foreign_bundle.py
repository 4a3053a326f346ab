"""An offline bundle built the way a vendor's tooling lays it out, from raw XML
and a hand-written `ar` archive: none of vlcmsim's writer is used, so the
reader is tested against the public layout, not against itself."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

NAME = "Intel-i40en"
VERSION = "1.13.0.0-1OEM.800.1.0.22000000"
VIB_ID = f"INT_bootbank_i40en_{VERSION}"
VIB_PATH = f"vib20/i40en/{VIB_ID}.vib"


def ar(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    out.write(b"!<arch>\n")
    for name, data in members:
        out.write(f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode())
        out.write(data)
        if len(data) % 2:
            out.write(b"\n")
    return out.getvalue()


def descriptor(payload: bytes, extra: str = "") -> str:
    sha = hashlib.sha256(payload).hexdigest()
    sha1 = hashlib.sha1(payload).hexdigest()
    return f"""<vib version="5.0"><type>bootbank</type><name>i40en</name><version>{VERSION}</version>
<vendor>INT</vendor><summary>Network driver for Intel(R) X710/XL710/XXV710/X722 Adapters</summary>
<description>Intel i40en driver</description><release-date>2023-10-01T00:00:00</release-date>
<urls/><relationships><depends><constraint name="vmkapi_2_10_0_0"/></depends><provides/></relationships>
<software-tags><tag>driver</tag></software-tags>
<system-requires><maintenance-mode>true</maintenance-mode></system-requires>
<file-list/><acceptance-level>certified</acceptance-level><live-install-allowed>false</live-install-allowed>
<live-remove-allowed>false</live-remove-allowed><cimom-restart>false</cimom-restart><stateless-ready>true</stateless-ready>
<overlay>false</overlay><payloads><payload name="i40en" type="vgz" size="{len(payload)}">
<checksum checksum-type="sha-256">{sha}</checksum><checksum checksum-type="sha-1">{sha1}</checksum>
</payload></payloads>{extra}</vib>"""


def build(
    out: Path,
    payload: bytes = b"\x1f\x8b" + bytes(range(256)) * 400,
    tamper_vib: bool = False,
    extra_entries: list[tuple[str, bytes]] | None = None,
    drop: tuple[str, ...] = (),
    metadata_entries: list[tuple[str, bytes]] | None = None,
) -> Path:
    vib = ar([("descriptor.xml", descriptor(payload).encode()), ("sig.pkcs7", b"0\x82signature"), ("i40en", payload)])
    vib_sha = hashlib.sha256(vib).hexdigest()
    if tamper_vib:
        vib = vib[:-10] + bytes(b ^ 0x55 for b in vib[-10:])
    location = (
        f"<relative-path>{VIB_PATH}</relative-path><packed-size>{len(vib)}</packed-size>"
        f'<checksum checksum-type="sha-256">{vib_sha}</checksum>'
    )
    bulletin = f"""<bulletin><id>{NAME}_{VERSION}</id><vendor>Intel</vendor>
<summary>i40en: net driver for ESXi</summary><severity>general</severity><category>enhancement</category>
<urgency>important</urgency><releaseType>extension</releaseType><description>i40en driver</description>
<kbUrl>https://kb.example.com</kbUrl><contact>support@intel.example</contact>
<releaseDate>2023-10-01T00:00:00.000000+00:00</releaseDate>
<platforms><softwarePlatform locale="" version="8.0.*" productLineID="embeddedEsx"/></platforms>
<componentNameSpec name="{NAME}" uiString="Intel(R) Ethernet Controller X710/XL710/XXV710/X722"/>
<componentVersionSpec version="{VERSION}" uiString="1.13.0.0"/>
<vibList><vibID>{VIB_ID}</vibID></vibList></bulletin>"""
    vmware_xml = (
        f"<metadataResponse><version>3.0</version><timestamp>2023-10-01T00:00:00</timestamp>"
        f"{bulletin}{descriptor(payload, location)}</metadataResponse>"
    )
    meta = io.BytesIO()
    with zipfile.ZipFile(meta, "w", zipfile.ZIP_DEFLATED) as mz:
        mz.writestr("vmware.xml", vmware_xml)
        mz.writestr(f"bulletins/{NAME}_{VERSION}.xml", bulletin)
        mz.writestr(f"vibs/{VIB_ID}.xml", descriptor(payload, location))
        for name, data in metadata_entries or []:
            mz.writestr(name, data)
    entries = [
        (
            "index.xml",
            b"<vendorList><vendor><name>Intel</name><code>INT</code><indexfile>vendor-index.xml</indexfile>"
            b"<patchUrl></patchUrl><relativePath></relativePath><content><name>VMware ESX</name>"
            b"<type>http://www.vmware.com/depotmanagement/esx</type></content></vendor></vendorList>",
        ),
        (
            "vendor-index.xml",
            b"<metaList><metadata><productId>embeddedEsx</productId><version>8.0.0</version>"
            b"<locale></locale><url>metadata.zip</url><channelName>intel</channelName></metadata></metaList>",
        ),
        ("metadata.zip", meta.getvalue()),
        (VIB_PATH, vib),
        *(extra_entries or []),
    ]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            if name not in drop:
                info = zipfile.ZipInfo(name)  # a ZipInfo keeps names as given (../, /etc/...)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    return out
