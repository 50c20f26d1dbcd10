"""Where a notification leads: the page of what it is about. Used by the inbox and the emails."""
from flask import url_for


def link_for(note, settled: str | None = None) -> str:
    """Where a notification takes you: the comment, thread, proposal or rota it is about; to a
    proposal's outcome once it has closed (`settled`, see `services.settled`)."""
    payload = note.payload or {}
    if note.target_type == "comment" and payload.get("thread_id"):
        # `show` unfolds the sub-thread the comment may be folded away in.
        return url_for("archive.thread", thread_id=payload["thread_id"], show=note.target_id,
                       _anchor=f"comment-{note.target_id}")
    if note.target_type == "proposal":
        anchor = "outcome" if note.kind in ("outcome", "review_due") or settled == "closed" else None
        return url_for("decisions.show", proposal_id=note.target_id, _anchor=anchor)
    if note.target_type == "action" and payload.get("proposal_id"):
        return url_for("decisions.show", proposal_id=payload["proposal_id"], _anchor="outcome")
    if note.target_type == "document":
        return url_for("archive.document", document_id=note.target_id)
    if note.target_type == "thread":
        return url_for("archive.thread", thread_id=note.target_id)
    if note.kind in ("swap", "swap_accepted", "swap_cancelled", "thanks", "care_assigned", "care_reminder") \
            and note.group is not None:
        return url_for("labour.index", slug=note.group.slug, _anchor="thanks" if note.kind == "thanks" else
                       "swaps" if note.kind.startswith("swap") else None)
    if note.kind == "invitation_accepted" and note.group is not None:
        return url_for("groups.members", slug=note.group.slug)
    return url_for("notifications.inbox")


def thread_of(note) -> int | None:
    """The thread a notification is about, for its "mute this thread" link."""
    if note.target_type == "thread":
        return note.target_id
    return (note.payload or {}).get("thread_id")
