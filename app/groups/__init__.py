"""Groups, working groups, memberships, roles and invitations: who belongs where. The base every other feature stands on.

The blueprint lives in `routes`; the app factory (`app.web`) registers it.
"""
