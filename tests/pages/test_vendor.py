"""The vendored front-end files are what package.json pins, byte for byte (their manifest of SHA-256),
and the pages load nothing from outside the site's origin."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("folder", ["registry/static/vendor", "tests/vendor"])
def test_vendored_files_match_their_manifest(folder):
    base = ROOT / folder
    manifest = {}
    for line in (base / "MANIFEST.sha256").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        manifest[name.removeprefix("./")] = digest
    on_disk = {
        str(path.relative_to(base)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in base.rglob("*")
        if path.is_file() and path.name != "MANIFEST.sha256"
    }
    assert on_disk == manifest


def test_front_end_versions_are_pinned_exactly():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for section in ("dependencies", "devDependencies"):
        for name, version in package[section].items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not an exact version"
            assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_templates_load_nothing_from_another_origin():
    """Scripts, styles, images and frames come from the site itself (links to other sites are fine)."""
    loads_from_outside = re.compile(
        r'<(?:script|img|iframe|source|video|audio)[^>]*\ssrc="(?:https?:)?//|<link[^>]*\shref="(?:https?:)?//'
    )
    offending = [
        f"{template.name}: {match.group(0)}"
        for template in (ROOT / "templates").rglob("*.html")
        for match in loads_from_outside.finditer(template.read_text())
    ]
    assert offending == []


def test_static_files_collect_hashed_and_compressed(tmp_path, settings):
    """What a deployment serves: collectstatic with whitenoise's hashed, compressed storage succeeds
    (it refuses a script that names a missing file, such as a source map) and hashes the vendored files."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # (Django's setting_changed receiver resets the static files storage, now and after the test.)
    call_command("collectstatic", interactive=False, verbosity=0)
    hashed = list((tmp_path / "vendor" / "leaflet").glob("leaflet.*.js.gz"))
    assert hashed, "leaflet.js was not hashed and compressed"
    assert (tmp_path / "staticfiles.json").exists()
