"""Load the vendor mapping files (YAML) that ``vendor_specs`` validates.

``VENDORS_DIR`` ships with the package (BambooHR, HiBob); ``CHATSYNC_WEBHOOK_VENDORS_DIR``
points at another folder (a third vendor: copy one file, change it, no code).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from chatsync.domain.bridges.vendor_specs import SpecError, VendorSpec, parse

VENDORS_DIR = Path(__file__).resolve().parent / "vendors"


def load_file(path: str | Path) -> VendorSpec:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(path.name, "(file)", f"not readable YAML: {exc}") from None
    spec = parse(doc, origin=path.name)
    if spec.vendor != path.stem:
        raise SpecError(
            path.name, "vendor", f"{spec.vendor!r} must match the file name {path.stem!r}"
        )
    return spec


def load_dir(folder: str | Path = VENDORS_DIR) -> dict[str, VendorSpec]:
    """Every ``*.yaml`` mapping in *folder*, by vendor name."""
    return {spec.vendor: spec for spec in map(load_file, sorted(Path(folder).glob("*.yaml")))}
