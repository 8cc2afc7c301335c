"""Container entry point of the poller: `python main.py` is `propfirm poller` (settings from the
environment, see docs/poller.md). ECS stops the task with SIGTERM: the cycle and any command in flight
finish, then the process exits 0."""

from __future__ import annotations

import sys

from propfirm.cli import main

if __name__ == "__main__":
    sys.exit(main(["poller", *sys.argv[1:]]))
