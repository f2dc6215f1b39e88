"""The Platform tab: files, batches, fine-tuning and vector stores of the organisation."""
