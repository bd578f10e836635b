"""System checks of the registry's own settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs, **kwargs) -> list[Warning]:
    """Production must set REGISTRY_SECRET_KEY: a per-process random key logs users out on restart."""
    if getattr(settings, "SECRET_KEY_FROM_ENVIRONMENT", True):
        return []
    return [
        Warning(
            "REGISTRY_SECRET_KEY is not set: every process draws its own random key.",
            hint="Set REGISTRY_SECRET_KEY to a long random value kept outside the repository.",
            id="registry.W001",
        )
    ]
