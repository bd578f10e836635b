"""Load the data the registry ships (fixtures/), in order; safe to run again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from registry.models import Municipality

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
NETWORKS = FIXTURES / "networks"


def membership_files() -> list[Path]:
    """The membership files of fixtures/networks/ (every CSV but the published counts), by name."""
    return sorted(path for path in NETWORKS.glob("*.csv") if path.name != "network_counts.csv")


class Command(BaseCommand):
    help = (
        "Reads fixtures/jp_local_governments.csv, fixtures/world_twin_pairs.csv, fixtures/networks.json and "
        "fixtures/networks/ and writes Japan's local authorities, the world twin pairs, the 12 city networks, "
        "their memberships (read in sources, and Mayors for Peace's Japanese members derived from its "
        "statement) and published member counts, then a labelled demo activity history. Each step is idempotent: a second run reports everything unchanged. What was "
        "edited in the registry since the last load (a network's website, a prefecture's English name) is "
        "kept, and each step lists what it kept; --force-source puts the shipped values back and lists what "
        "it overwrote."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Do not generate the demo activity history.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw progress bars.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only into an empty registry (no authority yet): what `make serve` runs at each start.",
        )
        parser.add_argument(
            "--force-source",
            action="store_true",
            help="Overwrite fields edited in the registry with the shipped values (each step lists what it overwrote).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Municipality.objects.exists():
            self.stdout.write("The registry holds data already: nothing loaded (--if-empty).")
            return
        imports = {"no_progress": options["no_progress"], "force_source": options["force_source"]}
        steps = [
            ("Japan's local authorities", "import_municipalities", [FIXTURES / "jp_local_governments.csv"], imports),
            ("World twin pairs", "import_twin_pairs", [FIXTURES / "world_twin_pairs.csv"], imports),
            ("City networks", "import_networks", [FIXTURES / "networks.json"], imports),
            *(
                (f"Network memberships: {path.name}", "import_memberships", [path], imports)
                for path in membership_files()
            ),
            (
                "Network memberships derived from a source's statement (Mayors for Peace, Japan, 2024-06-01)",
                "derive_memberships",
                [NETWORKS / "mayors_for_peace_japan_derived.json"],
                imports,
            ),
            ("Networks' published member counts", "import_network_counts", [NETWORKS / "network_counts.csv"], imports),
        ]
        if not options["no_demo"]:
            steps.append(("Demo activity history (labelled [DEMO])", "seed_demo_activity", [], {}))
        for number, (title, command, arguments, extra) in enumerate(steps, start=1):
            self.stdout.write(self.style.MIGRATE_HEADING(f"[{number}/{len(steps)}] {title}"))
            call_command(command, *map(str, arguments), stdout=self.stdout, stderr=self.stderr, **extra)
        self.stdout.write(self.style.SUCCESS("Registry data loaded."))
