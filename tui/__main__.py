"""`python -m tui`: the same as the `confide` command."""

from .entry import main

raise SystemExit(main())
