"""``python -m bayescnn ...`` is the ``bayescnn`` command."""

from bayescnn.cli.main import main

raise SystemExit(main())
