"""The error every service raises when it refuses a request.

`code` is stable and machine-readable (clients and tests match on it); `message` is written for the
person who made the request. Services raise it before changing anything, or inside the transaction
that is then rolled back, so a refusal never leaves anything half-written.
"""


class ServiceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
