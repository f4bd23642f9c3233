"""``python -m app.cli``: the same as the ``forestmatch`` console script."""

from app.cli import main

raise SystemExit(main())
