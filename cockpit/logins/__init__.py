"""Client-bound database logins (``cockpit client login``)."""
