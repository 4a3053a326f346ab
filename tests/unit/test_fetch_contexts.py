"""What https downloads trust is made once per process, not at every download (loading
a context's certificates cost a sync ~20 ms each time), and made again when the
server's own certificate changes."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from vlcmsim.depot.fetch import Fetcher
from vlcmsim.server.tls import ensure_certificate


def test_the_default_trust_is_made_once(tmp_path: Path) -> None:
    fetcher = Fetcher([tmp_path])
    first = fetcher.verify()
    assert isinstance(first, ssl.SSLContext) and first.verify_mode == ssl.CERT_REQUIRED
    assert fetcher.verify() is first


def test_the_servers_own_certificate_is_trusted_and_a_new_one_is_read_again(tmp_path: Path) -> None:
    cert, _ = ensure_certificate(tmp_path)
    fetcher = Fetcher([tmp_path], own_certificate=cert)
    first = fetcher.verify()
    assert isinstance(first, ssl.SSLContext)
    assert fetcher.verify() is first
    assert first.get_ca_certs()  # the server's certificate among what it trusts
    stat = cert.stat()
    os.utime(cert, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert fetcher.verify() is not first
