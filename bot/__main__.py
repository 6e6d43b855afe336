"""`python -m bot`: the same as the `tactline` command."""

import sys

from bot.cli import main

sys.exit(main())
