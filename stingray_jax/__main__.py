"""Allow ``python -m stingray_jax``, equivalent to the ``stingray-jax`` command."""

import sys

from .cli import main

sys.exit(main())
