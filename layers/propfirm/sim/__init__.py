"""The MT5 simulator: a trade server speaking the MT5 Web API, over an in-memory market.

- `clock`: the simulated clock (speed, `advance`) and the trade server's time zone.
- `market`: symbols and seeded prices. `accounts`: records and accounting arithmetic.
- `world`: groups, accounts, positions, deals, rollovers and stop-outs, under one lock.
- `history`: every deal of the run, the last hours in memory and the rest on disk (SQLite).
- `traders`: scripted traders; `driver`: market ticks and trader rounds as time passes.
- `faults`: injected network and server failures. `certs`: the self-signed certificate.
- `programs`: the MT5 groups named by the program files.
- `webapi`: the HTTP(S) server, its endpoints and the JSON records.
- `testing`: `running_simulator(...)`, the in-process handle other parts' tests use.

`propfirm sim` (`propfirm.cli.sim`) serves it from the command line.
"""
