# The archive's pages (threads, documents, the full timeline) arrive with the archive issue.
from app.archive import bp  # noqa: F401
