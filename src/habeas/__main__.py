"""`python -m habeas` is the `habeas` command."""

from habeas.cli import main

main()
