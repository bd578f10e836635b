"""manage.py grant_role USERNAME ROLE: make someone a coordinator, or staff of a municipality."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from registry.models import Municipality
from registry.services.roles import Role, grant_role


class Command(BaseCommand):
    help = (
        "Give a user a role and what it needs to sign in (registry.services.roles.grant_role): "
        "`coordinator` (the coordinators group, admin access) or `staff` of a municipality "
        "(--municipality, its local government code or id; a staff assignment). Writes the user, the "
        "group membership or staff assignment, and a change record. --create makes the user first; a "
        "user without a usable password needs one, read from the environment variable named by "
        "--password-from-env or asked for at the terminal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user to grant the role to.")
        parser.add_argument("role", choices=Role.values, help="coordinator, or staff (with --municipality).")
        parser.add_argument(
            "--municipality", help="For staff: the municipality's 6-digit local government code, or its id."
        )
        parser.add_argument("--create", action="store_true", help="Create the user if there is none by that name.")
        parser.add_argument("--email", default="", help="The e-mail address of a user created here.")
        parser.add_argument(
            "--password-from-env",
            metavar="VARIABLE",
            help="Set the password from this environment variable (otherwise asked for when the user has none).",
        )
        parser.add_argument("--by", help="Username the change history records as the author (default: none).")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        municipality = _municipality(options["municipality"]) if options["municipality"] else None
        by = None
        if options["by"]:
            by = users.objects.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(f"--by: no user called {options['by']!r}.")
        password = _password_from_env(options["password_from_env"])
        try:
            with transaction.atomic():
                user = users.objects.filter(username=options["username"]).first()
                created = user is None
                if created:
                    if not options["create"]:
                        raise CommandError(f"No user called {options['username']!r}; add --create to make one.")
                    user = users.objects.create_user(username=options["username"], email=options["email"])
                if password is None and not user.has_usable_password():
                    password = self._ask_password(user.get_username())
                grant_role(user=user, role=options["role"], municipality=municipality, by=by, password=password)
        except ValidationError as error:
            raise CommandError("; ".join(_messages(error))) from None
        if options["role"] == Role.COORDINATOR:
            where = "the admin (/admin/) and the API"
            what = "a coordinator"
        else:
            where = "the API (a token from /api/auth/token/)"
            what = f"staff of {municipality}"
        self.stdout.write(
            f"{'Created ' if created else ''}{user.get_username()}: now {what}; signs in to {where} with their password."
        )

    def _ask_password(self, username: str) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                f"{username} has no password: give --password-from-env VARIABLE, or run the command in a terminal."
            )
        first = getpass.getpass(f"Password for {username}: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was changed.")
        return first


def _municipality(text: str) -> Municipality:
    value = text.strip()
    found = None
    if len(value) == 6 and value.isdigit():
        found = Municipality.objects.filter(lg_code=value).first()
    elif value.isdigit():
        found = Municipality.objects.filter(pk=int(value)).first()
    if found is None:
        raise CommandError(f"--municipality: no municipality has the code or id {text!r}.")
    return found


def _password_from_env(variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise CommandError(f"--password-from-env: the environment variable {variable} is not set or empty.")
    return value


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {message}" for field, items in error.message_dict.items() for message in items]
    return list(error.messages)
