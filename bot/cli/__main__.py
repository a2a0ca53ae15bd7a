"""`python -m bot.cli ...`: the same as the installed `supportbot` command."""

import sys

from bot.cli import main

sys.exit(main())
