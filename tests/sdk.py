"""The official vSphere Automation SDK as a client of a test server."""

from __future__ import annotations

import time
from typing import Any

import requests
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.security.user_password import create_user_password_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory
from vmware.vapi.vsphere.client import create_vsphere_client


def sdk_session(cert: str) -> requests.Session:
    # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE are set on these machines and would
    # override `verify`; trust_env = False keeps our certificate in charge.
    s = requests.Session()
    s.trust_env = False
    s.verify = cert
    return s


def vsphere_client(server: Any, user: str = "administrator@vsphere.local", password: str = "VMware1!") -> Any:
    return create_vsphere_client(
        server=server.address, username=user, password=password, session=sdk_session(str(server.cert))
    )


def stub_config(server: Any, user: str = "administrator@vsphere.local", password: str = "VMware1!") -> Any:
    """A stub configuration that logs in with user and password on every call
    (what Session.create needs), over JSON-RPC."""
    connector = get_requests_connector(
        session=sdk_session(str(server.cert)), url=f"{server.url}/api", msg_protocol="json"
    )
    config = StubConfigurationFactory.new_std_configuration(connector)
    connector.set_security_context(create_user_password_security_context(user, password))
    return config


def wait(task: Any, timeout: float = 30) -> Any:
    """The info of an SDK Task once it has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = task.get_info()
        if info.status in ("SUCCEEDED", "FAILED"):
            return info
        time.sleep(0.05)
    raise AssertionError("the task did not end")
