"""Email transport: the Resend client, Svix webhook signatures and one-click unsubscribe tokens.

Imports: httpx and :mod:`cockpit.errors` only; no store, no SQL, no Textual."""
