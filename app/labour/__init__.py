"""Care work: tasks, the fair rota, swaps, logged care, thanks and the fairness ledger.

The blueprint lives in `routes`; the app factory (`app.web`) registers it.
"""
