"""Chat Completions: requests and streaming, presets, code views, export, schemas, Markdown, pictures."""
