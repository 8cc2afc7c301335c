"""An operator's use cases on a challenge, beside the evaluator's and the payouts': manual overrides (fail,
pass, restart a phase) and account actions (close all, disable or enable trading, move the MT5 group).

They raise `OperationError`s (`errors`), which the API maps to its problems; they never speak HTTP.
"""
