"""Email transport and intake: the Resend client, Svix webhook signatures, and the HTTP intake app
(Resend webhooks, one-click unsubscribe, website forms). Headless."""
