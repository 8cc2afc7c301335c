"""Payouts of funded challenges: eligibility, the request, the approval workflow (Step Functions with task
tokens over SQS), the withdrawal on MT5 and its record. See docs/payouts.md.

- `propfirm.domain.payouts`: the arithmetic and the eligibility rules (pure).
- `service`: what the API and the evaluator call (this package's public interface).
- `workflow`: the Step Functions adapter (start an execution, answer a task token) and the ASL file.
- `tasks`: what each workflow task does when the payouts worker receives it.
- `events`: EventBridge events (`PayoutRequested`, `PayoutApproved`, `PayoutRejected`, `PayoutPaid`).
- `local`: run the workflow in moto and drive the worker locally.
"""
