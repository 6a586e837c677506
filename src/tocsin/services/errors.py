"""Why an action was refused, in terms every front end translates into its own dialect:
a status and wording of the web app's, an API's error shape, a command line's one line.
The message is the services' own plain sentence; a front end may show it or say the
same thing its own way."""


class ServiceError(Exception):
    """An action refused for a reason the person asking can do something about."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ServiceError):
    """What the action names does not exist, or is not the acting project's."""


class ConflictError(ServiceError):
    """The action does not fit the present state: a name taken, an incident resolved
    already, an invitation used already."""


class StaleError(ServiceError):
    """The caller asked to change what it read, and it has changed since."""


class NotAllowedError(ServiceError):
    """The actor's role does not let them do this."""


class InvalidError(ServiceError):
    """A value the action cannot use, with the field it came in."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
