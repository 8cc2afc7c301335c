"""The evaluator's service layer: claim checks in, rule engine, transitions, floors and commands out.

`bootstrap` composes the evaluator from its settings; `function` is what its Lambdas run (the SQS batch,
the scheduled relay); `functions/evaluator/handler.py` is only their decorators.
"""
