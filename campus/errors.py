"""The error every service raises when it refuses a request.

`code` is stable and machine-readable (clients and tests match on it); `message` is written for the
person who made the request. Services raise it before changing anything, or inside the transaction
that is then rolled back, so a refusal never leaves anything half-written.

A refusal can cross to another process (the order desk process answers with it), so every
subclass pickles as it is, whatever its constructor takes.
"""


class ServiceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __reduce__(self):
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls: type[ServiceError], args: tuple, state: dict) -> ServiceError:
    """A pickled refusal, restored without calling its constructor (subclasses take their own
    arguments, and Exception's pickling would call it with the message alone)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error
