class ActionError(Exception):
    """
    A refused action: raised by `check_*`/`do_*` services and by protocol
    validation, turned into an `error` frame on websockets and a message on
    pages. `code` is stable and machine-readable; `message` is for people.
    """

    def __init__(self, code, message, **details):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
