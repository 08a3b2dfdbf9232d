"""`python -m assistant`, the same as the `assistant` script."""

import sys

from assistant.cli.main import main

sys.exit(main())
