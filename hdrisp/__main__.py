"""``python -m hdrisp`` (also what ``torchrun -m hdrisp`` runs)."""

import sys

from hdrisp.cli import main

sys.exit(main())
