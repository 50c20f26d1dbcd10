"""Where a proposal is talked over: a thread, which the archive owns.

Decisions and the archive are sibling features that never import each other, so decisions
asks through these slots and the app factory (`app.web`) fills them with the archive's
functions. A proposal only needs a thread's `id`, `group_id`, `title` and `deleted_at`.
"""
from app.core.slots import Slot

# (user, group, title, body) -> a new thread in the caller's transaction (not committed)
start = Slot("decisions.start_thread")
# (user, thread_id) -> a thread this person may read, else 404
readable = Slot("decisions.readable_thread")
# (tag) -> a SELECT of the ids of the threads carrying this tag
tagged = Slot("decisions.threads_tagged")
