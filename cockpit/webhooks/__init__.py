"""The intake HTTP server (``cockpit webhooks``): Resend webhooks, one-click unsubscribe, website forms and
meeting notes. Headless: imports the store and services, never Textual."""
