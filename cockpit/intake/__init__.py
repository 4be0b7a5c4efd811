"""Meeting-note intake (seed 000 Quill webhook): InteractionBundle / TranscriptBundle -> activities."""
