"""The intake HTTP server (``cockpit webhooks``): Resend webhooks, one-click unsubscribe, website forms and
meeting notes.

Imports: the store, :mod:`cockpit.email`, :mod:`cockpit.intake`, config and errors; never Textual."""
