"""People: registering, signing in and out, profiles and personal settings.

The blueprint lives in `routes`; the app factory (`app.web`) registers it.
"""
