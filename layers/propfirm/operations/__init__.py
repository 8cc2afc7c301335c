"""The use cases of the firm's people and systems on a challenge, beside the evaluator's and the payouts':
a sale recorded (`purchases`, with the trader's login bound by `logins` and the MT5 passwords sealed by
`credentials`), an operator's manual overrides (fail, pass, restart a phase), account actions (close all,
disable or enable trading, move the MT5 group) and programs added.

They raise `OperationError`s (`errors`), which the API maps to its problems; they never speak HTTP.
"""
