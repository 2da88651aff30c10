"""`python -m xrobust ...`: what launchers start (`torchrun -m xrobust train ...`,
`accelerate launch -m xrobust train ...`), the same as the `xrobust` command."""

import sys

from xrobust.cli import main

sys.exit(main())
