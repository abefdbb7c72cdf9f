"""``python -m engine.layout IN.bpmn [-o OUT.bpmn | --in-place]``: generate a diagram's layout."""

import sys

from engine.layout.generate import main

raise SystemExit(main(sys.argv[1:]))
