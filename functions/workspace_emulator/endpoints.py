"""Which part of the emulator answers a request: the control API or the emulated Google side.

``/emulator/v1/...`` goes to :mod:`workspace_emulator.control_api`; everything else (the Google
APIs, IAM Credentials and the OAuth token endpoint) to :meth:`Emulator.dispatch
<workspace_emulator.emulator.Emulator.dispatch>`. Kept apart so that the emulator does not
import its own control API (which drives it).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from workspace_emulator import control_api
from workspace_emulator.emulator import Emulator
from workspace_emulator.handling import Answer


def dispatch(
    emu: Emulator, http_method: str, raw_path: str, headers: Mapping[str, str], body: bytes
) -> Answer:
    """Answer one HTTP request (*headers* keyed in lower case)."""
    split = urllib.parse.urlsplit(raw_path)
    segments = [urllib.parse.unquote(s) for s in split.path.strip("/").split("/")]
    if segments[:2] == ["emulator", "v1"]:
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        base_url = f"http://{headers.get('host', '127.0.0.1')}/"
        return control_api.handle(emu, http_method, segments[2:], query, body, base_url=base_url)
    return emu.dispatch(http_method, raw_path, headers, body)
