"""``python -m app.serving``: see :mod:`app.serving.supervisor`."""

import sys

from app.serving.supervisor import main

sys.exit(main())
