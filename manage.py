#!/usr/bin/env python
"""Django's command-line utility for BlockCampus."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")
    from campus.config import ConfigError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ConfigError as error:
        sys.exit(f"blockcampus: configuration error: {error}")


if __name__ == "__main__":
    main()
