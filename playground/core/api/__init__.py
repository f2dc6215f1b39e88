"""The connection to an OpenAI-compatible server: providers, keys, the one client factory, the model list and what each model accepts, errors in plain words."""
