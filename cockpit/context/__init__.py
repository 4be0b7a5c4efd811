"""The client context object (arlo's running memory of a contact) and the Client360 read model.

Imports: :mod:`cockpit.contracts`, :mod:`cockpit.models` and :mod:`cockpit.errors`; the policy is pure
functions, the services take the store as an argument. No Textual, no SQL."""
