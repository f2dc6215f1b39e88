"""Embeddings: batched requests, the local cache, file input and output, the maths behind the views."""
