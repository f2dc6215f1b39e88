"""Audio: speech, transcription and translation, clips, audio files, what each audio model offers."""
