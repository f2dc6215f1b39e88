"""Tokens and money: counting, prices, the usage ledger and the totals built on it."""
