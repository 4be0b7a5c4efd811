"""Meeting-note intake (files and the Quill webhook): InteractionBundle / TranscriptBundle -> activities.

Imports: :mod:`cockpit.contracts`, :mod:`cockpit.context` and :mod:`cockpit.errors`; the store is passed
in. No Textual, no SQL."""
