"""Images: generation and edits, what each image model offers, files and the gallery."""
