"""``python -m skipperd.conformance PATH...``"""

import sys

from skipperd.conformance import main

sys.exit(main(sys.argv[1:]))
