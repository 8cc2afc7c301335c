"""How a command is named where it leaves a trace: in an MT5 comment, so that its deal is found again.

Shared by the writer of a command (the evaluator, the payouts worker) and its executor (the poller): both
must name the deal alike, and neither should load the other's code for it.
"""

from __future__ import annotations

import base64
import hashlib

from propfirm.queues.messages import BalanceOperationCommand


def command_tag(command_id: str) -> str:
    """Ten characters naming the command in an MT5 comment (comments hold at most 31)."""
    return base64.b32encode(hashlib.sha256(command_id.encode()).digest()).decode()[:10].lower()


def balance_comment(command: BalanceOperationCommand) -> str:
    """The command's comment made unique per command, so the deal can be found again on a retry."""
    return f"{command.comment[:20]}#{command_tag(command.command_id)}"
