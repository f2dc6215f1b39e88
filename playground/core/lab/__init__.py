"""Prompt Lab: test cases, checks, runs, their storage and batch runs."""
