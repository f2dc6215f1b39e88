"""Playground: a desktop app for trying the OpenAI API without writing code."""

__version__ = "0.1.0"
APP_NAME = "Playground"
APP_ID = "playground"
