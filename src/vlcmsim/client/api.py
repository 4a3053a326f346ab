"""The client side of `vlcmsim`: a session against any vSphere endpoint that
speaks the Automation API (vlcmsim or a vCenter), kept in a profile.

    api = Api.from_profile("default")
    api.get("/api/vcenter/cluster")

Profiles live in `$VLCMSIM_CONFIG_DIR` (default ~/.config/vlcmsim)/profiles.json,
readable by their owner only: a profile holds a live session id."""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx


class ClientError(Exception):
    """What the command says before it exits non-zero."""


@dataclass
class Profile:
    url: str
    session: str
    user: str
    insecure: bool = False
    ca_file: str | None = None


def config_dir() -> Path:
    base = os.environ.get("VLCMSIM_CONFIG_DIR")
    return Path(base) if base else Path.home() / ".config" / "vlcmsim"


def load_profiles() -> dict[str, Profile]:
    path = config_dir() / "profiles.json"
    if not path.exists():
        return {}
    return {name: Profile(**p) for name, p in json.loads(path.read_text()).items()}


def save_profile(name: str, profile: Profile) -> Path:
    profiles = load_profiles()
    profiles[name] = profile
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.json"
    tmp = folder / "profiles.json.part"
    tmp.unlink(missing_ok=True)  # O_CREAT keeps a leftover file's mode: the file must be new, and ours
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    with os.fdopen(fd, "w") as f:
        json.dump({n: asdict(p) for n, p in profiles.items()}, f, indent=2)
    os.replace(tmp, path)
    return path


def verify_of(insecure: bool, ca_file: str | None) -> ssl.SSLContext | bool:
    if insecure:
        return False
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return True


def unreachable(url: str, exc: httpx.HTTPError) -> ClientError:
    """A connection failure, with the way out when it is the certificate."""
    text = f"cannot reach {url}: {exc}"
    if "CERTIFICATE_VERIFY_FAILED" in str(exc) or isinstance(exc.__cause__, ssl.SSLCertVerificationError):
        text += (
            "\n  the server's certificate is not trusted: log in again with --ca-file <its certificate>"
            " (vlcmsim: <data dir>/server.crt), or --insecure to skip the check"
        )
    return ClientError(text)


def error_text(r: httpx.Response) -> str:
    """A vAPI error's messages, or the HTTP status."""
    try:
        body = r.json()
    except ValueError:
        return f"HTTP {r.status_code}"
    if isinstance(body, dict):
        messages = body.get("messages") or (body.get("value") or {}).get("messages") or []
        texts = [m.get("default_message", "") for m in messages if isinstance(m, dict)]
        kind = body.get("error_type") or body.get("type") or f"HTTP {r.status_code}"
        return f"{kind}: {' '.join(t for t in texts if t)}".strip(": ")
    return f"HTTP {r.status_code}"


class Api:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.http = httpx.Client(
            base_url=profile.url,
            verify=verify_of(profile.insecure, profile.ca_file),
            headers={"vmware-api-session-id": profile.session},
            timeout=60,
            trust_env=False,
        )

    @classmethod
    def from_profile(cls, name: str) -> Api:
        profile = load_profiles().get(name)
        if profile is None:
            raise ClientError(f"no profile {name!r}: run `vlcmsim login URL` first")
        return cls(profile)

    @staticmethod
    def login(url: str, user: str, password: str, insecure: bool, ca_file: str | None) -> Profile:
        try:
            r = httpx.post(
                f"{url.rstrip('/')}/api/session",
                auth=(user, password),
                verify=verify_of(insecure, ca_file),
                trust_env=False,
                timeout=30,
            )
        except httpx.HTTPError as exc:
            raise unreachable(url, exc) from None
        if r.status_code != 201:
            raise ClientError(f"login refused: {error_text(r)}")
        return Profile(url.rstrip("/"), r.json(), user, insecure, ca_file)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            r = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise unreachable(self.profile.url, exc) from None
        if r.status_code == 401:
            raise ClientError("the session has ended: run `vlcmsim login` again")
        if r.status_code >= 400:
            raise ClientError(error_text(r))
        return r.json() if r.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, json=body if body is not None else {})

    def task_of(self, path: str, body: Any = None) -> str:
        """POST a `vmw-task=true` operation: its task id."""
        sep = "&" if "?" in path else "?"
        task = self.post(f"{path}{sep}vmw-task=true", body)
        return str(task)
