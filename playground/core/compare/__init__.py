"""Compare: word diffs, similarity and the per-column summary."""
