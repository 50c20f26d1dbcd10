"""Proposals from draft to outcome, votes, and the decision register.

The blueprint lives in `routes`; the app factory (`app.web`) registers it.
"""
