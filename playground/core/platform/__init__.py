"""The Platform tab's services: files, uploads in parts, batches, vector stores, fine-tuning."""
