"""Domain errors raised by services; the API layer maps them to the JSON error envelope."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unprocessable(DomainError):
    """Well-formed but cannot be done as asked (an Idempotency-Key reused for another body, a
    chat message that cannot be sent as written)."""

    status = 422
    code = "unprocessable"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(RateLimited):
    """The server cannot take this now (a full queue); answered at once with Retry-After."""

    status = 503
    code = "busy"


class TooManyAttempts(RateLimited):
    """Wrong passwords: this account or address waits before it may try again."""

    code = "too_many_attempts"


class ProviderUnavailable(DomainError):
    """A service we depend on (the payment provider) failed to answer; trying again may work."""

    status = 502
    code = "payment_provider_unavailable"
