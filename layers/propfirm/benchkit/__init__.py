"""What the benchmarks in `bench/` share: the harness (ports, child processes, temporary databases),
the simulator steered in a child process, and the delay proxy that stands for a network round trip."""
