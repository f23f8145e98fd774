"""`python -m billing` runs the `xlbilling` command line."""

from billing.cli import main

main()
