"""The layer every feature stands on: database, settings, i18n, text and markdown, errors, time, the event spine.

Nothing here imports a feature.
"""
