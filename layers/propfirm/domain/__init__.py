"""The pure domain: no I/O, no clock.

- `programs`: the program file model (pydantic), its loader and `ProgramError`; the shipped examples.
- `tradingday`: reset instants and trading-day labels in the program's zone (DST included).
- `rules`: a program compiled into per-phase parameters for the engine.
- `events`, `decisions`: the engine's inputs and outputs.
- `state`: a challenge's state and its versioned JSON form.
- `engine`: `start`, `evaluate(program, state, event) -> Outcome`, `equity_floor(program, state)`.
- `floors`: `EquityFloor`, the level the poller's fast path acts on.
- `money`: Decimal parsing and display.
- `roles`: the three roles (trader, support, admin), as the identity provider's groups name them.
"""
