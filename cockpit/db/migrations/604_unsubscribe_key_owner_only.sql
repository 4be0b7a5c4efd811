-- The key that signs one-click unsubscribe links is read by the owner only: with it, any role (or a
-- client-bound login holding the operational power) could sign links for another client's contacts.
REVOKE SELECT ON redkey.email_keys FROM redkey_operational;
