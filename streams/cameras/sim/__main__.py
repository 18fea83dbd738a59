import sys

from .rtsp import main

sys.exit(main())
