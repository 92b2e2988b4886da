"""scim2-tester, the SCIM conformance checker, against the endpoint served on 127.0.0.1.

Every check must succeed: the optional features it probes (``POST /.search`` across resource
types among them) are served. An optional feature dropped later must be listed in
docs/hr-sources.md and allowed here, with its reason, as a skipped check.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from tests.hr_sources.conftest import TOKEN

pytestmark = pytest.mark.hr_sources


def test_scim2_tester_passes_every_check(publisher: Any, bridge_store: Any) -> None:
    """check_server over HTTP (scim2-client's httpx2 engine) with the bearer token."""
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server

    from chatsync import bridge_runtime as wiring
    from chatsync.app.bridges.settings import BridgeSettings
    from chatsync.app.logs import Logger
    from chatsync.tools.hr_serving import LocalServer

    app = wiring.scim_app(
        BridgeSettings(store="memory", group_domain="example.com"),
        token=TOKEN,
        bridge_store=bridge_store,
        sink=publisher,
        log=Logger(stream=io.StringIO()),
    )
    with (
        LocalServer(app.wsgi) as server,
        Client(
            base_url=f"{server.url}/scim/v2", headers={"Authorization": f"Bearer {TOKEN}"}
        ) as http,
    ):
        results = check_server(SyncSCIMClient(http))

    assert len(results) > 100, "check_server ran far fewer checks than it has"
    unexpected = [
        f"{r.resource_type} {r.title}: {r.status.name} {r.reason}"
        for r in results
        if r.status != Status.SUCCESS
    ]
    assert unexpected == []
    searched = [r for r in results if r.title == "search_with_attributes"]
    assert {r.resource_type for r in searched} == {"User", "Group"}, "POST /.search was checked"
    # The checker's users reached chatsync as events that decode.
    from tests.hr_sources.conftest import decode

    assert publisher.events, "the checker created active users: they must be announced"
    for event in publisher.events:
        decode(event)
