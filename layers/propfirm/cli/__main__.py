import sys

from propfirm.cli import main

sys.exit(main())
