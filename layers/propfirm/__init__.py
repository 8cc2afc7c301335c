"""The operations layer of a prop trading firm on top of MetaTrader 5."""

__version__ = "0.1.0"
