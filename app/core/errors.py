"""Why a service said no, in words the user can read."""


class Refused(Exception):
    """A request the rules don't allow (bad input, a closed thing, a duplicate).

    `message` is already translated (services use lazy_gettext); `field` names the form
    field it belongs to, if any, so the route can show it next to that field.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def show_on_form(form, refusal: Refused) -> None:
    """Put a service's refusal next to the field it concerns, or at the top of the form."""
    # A plain str, so the page escapes it: a lazy string would pass as safe HTML, and some
    # messages carry names people typed.
    message = str(refusal.message)
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


class Missing(LookupError):
    """Nothing there — or nothing this person may know is there. The web answers 404.

    A private group's thread is missing to an outsider: saying "forbidden" would tell them it exists.
    """


class NotAllowed(PermissionError):
    """The person may see the thing but not do this to it. The web answers 403."""


def require(allowed: bool) -> None:
    """A service's own check of a policy answer (`require(policy.can_post(user, thread))`):
    the route asked first, this makes sure no other caller (CLI, email, a test) skips it."""
    if not allowed:
        raise NotAllowed()
