"""Email sequences: definitions, merge-field templates, business-day scheduling and the sequence step.

Headless (no Textual): the cockpit screens and arlo's task engine both call into this package.
The entry point for the task engine is :func:`cockpit.sequences.step.sequence_step`.

Imports: the store, :mod:`cockpit.email` (Resend), :mod:`cockpit.config` and :mod:`cockpit.errors`.
"""
