"""Faults on purpose: `propfirm dev --faults SPEC` breaks parts of the running local stack and checks
that nothing was lost.

- `spec`: the fault names and when each is injected;
- `proxy`: a fault-injecting TCP proxy (PostgreSQL sits behind it: real disconnects, real refusals);
- `sqs`: the SQS client the stack's parts share, able to redeliver, delay and refuse as SQS can;
- `traps`: crash points inside the evaluator and the poller (a process that dies mid-step);
- `injector`: injects each fault at its time and measures how long until the system is healthy again;
- `invariants`: what must hold at the end of the run, whatever broke (the summary's `invariants`).
"""
