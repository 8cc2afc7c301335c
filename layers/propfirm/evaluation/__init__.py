"""The evaluator's service layer: claim checks in, rule engine, transitions, floors and commands out.

No Lambda or SQS types here: `functions/evaluator/handler.py` parses the event and calls `Evaluator`.
"""
