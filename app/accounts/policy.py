"""Who may see what of a person. The other accounts pages act only on the signed-in person's own
account (`login_required`, then `current_user`), so there is nothing else to decide here.

What a profile lists (the groups we share, the thanks received) is filtered by the groups'
own policy: a profile never tells of a group the viewer may not read.
"""


def can_see_profile(viewer, person) -> bool:
    """A person's name and handle are seen by anyone who can reach a group they write in, so
    their profile page is open to every visitor."""
    return person is not None
