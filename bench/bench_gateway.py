"""MT5 gateway benchmark: account states per second for a full poll of every group, through the Web API.

    .venv/bin/python bench/bench_gateway.py [--quick]      (--quick: 1k and 10k accounts; else 1k, 10k, 100k)

Set-up: the simulated MT5 Web API in a child process (`propfirm sim`, HTTPS with its self-signed
certificate, clock frozen), so that the server's CPU is not this process's; the gateway here, as the
poller runs it: one keep-alive TLS connection, `account_states(all groups)` = one `/api/user/logins`
per group, then one `/api/user/account/get_batch` per 100 logins, every record parsed into Decimal
models. Figures per size: the median wall time of a full poll over `rounds` polls after a warm-up, the
accounts per second that gives, the HTTP requests per poll, and this process's CPU time per poll (the
gateway's own cost: TLS, JSON, Decimal parsing); beside it, in alternate rounds, the CPU time of the same
poll read the general way (`GatewayOptions.typed_reads` off: every reply into dicts, then each record's
fields converted), and the poll with each group in one request (`account_reads="group"`: its wall time,
CPU time and requests), each of which must give equal states.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

from propfirm.benchkit.harness import MANAGER_LOGIN, MANAGER_PASSWORD, simulator_process  # noqa: E402
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings  # noqa: E402
from propfirm.mt5.webapi import WebApiGateway  # noqa: E402
from propfirm.settings import load  # noqa: E402


def measure(accounts: int, rounds: int) -> dict[str, float]:
    with simulator_process(accounts, tls=True) as (url, cert, startup):
        settings = load(Mt5Settings, url=url, manager_login=MANAGER_LOGIN, manager_password=MANAGER_PASSWORD,
                        ca_file=cert, timeout_seconds=60)
        gateway = gateway_from_settings(settings)
        assert isinstance(gateway, WebApiGateway)
        groups = [g.name for g in gateway.groups()]
        seen = len(gateway.account_states(groups))  # warm-up: connect, handshake
        if seen != accounts:
            raise RuntimeError(f"polled {seen} accounts, expected {accounts}")
        typed_options = gateway.options
        ways = {"paged": typed_options, "general": dataclasses.replace(typed_options, typed_reads=False),
                "group": dataclasses.replace(typed_options, account_reads="group")}
        timed: dict[str, dict[str, list[float]]] = {w: {"wall": [], "cpu": [], "requests": []} for w in ways}
        for _ in range(rounds):  # the three ways alternate: the same load on each
            read = {}
            for way, options in ways.items():
                gateway.options = options
                before = gateway.transport.requests
                cpu, wall = time.process_time(), time.perf_counter()
                read[way] = sorted(gateway.account_states(groups), key=lambda x: x.login)
                timed[way]["wall"].append(time.perf_counter() - wall)
                timed[way]["cpu"].append(time.process_time() - cpu)
                timed[way]["requests"].append(gateway.transport.requests - before)
            gateway.options = typed_options
            assert len(read["paged"]) == accounts
            if read["general"] != read["paged"]:
                raise RuntimeError("the typed and the general readers gave different account states")
            if read["group"] != read["paged"]:
                raise RuntimeError("the group reads and the page reads gave different account states")
        gateway.close()
    walls = timed["paged"]["wall"]
    poll = statistics.median(walls)
    return {
        "accounts": accounts,
        "groups": len(groups),
        "poll_s": round(poll, 4),
        "accounts_per_s": round(accounts / poll),
        "requests_per_poll": statistics.median(timed["paged"]["requests"]),
        "client_cpu_s": round(statistics.median(timed["paged"]["cpu"]), 4),
        "general_reader_cpu_s": round(statistics.median(timed["general"]["cpu"]), 4),
        "group_poll_s": round(statistics.median(timed["group"]["wall"]), 4),
        "group_client_cpu_s": round(statistics.median(timed["group"]["cpu"]), 4),
        "group_requests_per_poll": statistics.median(timed["group"]["requests"]),
        "sim_startup_s": round(startup, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k accounts only")
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    results = {}
    header = ("accounts", "groups", "poll s", "accounts/s", "requests", "client CPU s", "general reader",
              "group: poll s", "CPU s", "requests")
    print(f"{header[0]:>9} {header[1]:>6} {header[2]:>8} {header[3]:>11} {header[4]:>9} {header[5]:>13} "
          f"{header[6]:>15} {header[7]:>14} {header[8]:>7} {header[9]:>9}")
    for size in sizes:
        rounds = 5 if size <= 10_000 else 3
        figures = measure(size, rounds)
        results[str(size)] = figures
        print(f"{size:>9} {figures['groups']:>6} {figures['poll_s']:>8.3f} {figures['accounts_per_s']:>11} "
              f"{figures['requests_per_poll']:>9} {figures['client_cpu_s']:>13.3f} "
              f"{figures['general_reader_cpu_s']:>15.3f} {figures['group_poll_s']:>14.3f} "
              f"{figures['group_client_cpu_s']:>7.3f} {figures['group_requests_per_poll']:>9}", flush=True)
    return results


if __name__ == "__main__":
    main()
