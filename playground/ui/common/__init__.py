"""Widgets and helpers several tabs use (message view, parameter panel, attachments, countdown), and the tab contract."""
