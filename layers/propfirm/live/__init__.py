"""Live state in Redis: keys (`keys`), records (`records`), floors (`floors`), the poller's cursor,
dedup set, outbox and heartbeat (`poller_state`), and command records (`commands`)."""
