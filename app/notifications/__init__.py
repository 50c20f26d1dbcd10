"""Who hears of what: the bell, email, reminders and the weekly digest. Subscribes to the event spine.

The blueprint lives in `routes`; the app factory (`app.web`) registers it.
"""
