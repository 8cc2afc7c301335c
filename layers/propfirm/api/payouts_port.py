"""The API's side of the payouts service (`propfirm.payouts.service`): its errors mapped to problems, its
results to JSON. The routes call the service's functions themselves, typed, inside `payout_problems()`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from propfirm.api.problems import ApiProblem, Conflict, FourEyes, NotFound, Unavailable, Unprocessable
from propfirm.api.queries import jsonable
from propfirm.payouts import service as payouts


def payout_json(record: payouts.PayoutRecord) -> dict[str, Any]:
    """The service's own public form (task tokens never shown), money as strings."""
    return jsonable(record.to_dict())


def eligibility_json(result: payouts.Eligibility) -> dict[str, Any]:
    return jsonable(result.to_dict())


def problem_of_payout_error(exc: payouts.PayoutError | NotImplementedError) -> ApiProblem:
    if isinstance(exc, (payouts.ChallengeNotFound, payouts.PayoutNotFound)):
        return NotFound(str(exc) or "not found")
    if isinstance(exc, payouts.PayoutRefused) and exc.code == payouts.FOUR_EYES:
        return FourEyes(exc.message, code=exc.code)
    if isinstance(exc, payouts.PayoutRefused):
        cls = Unprocessable if exc.code == payouts.NOT_ELIGIBLE else Conflict
        return cls(exc.message, code=exc.code, denials=jsonable([d.to_dict() for d in exc.denials]))
    if isinstance(exc, NotImplementedError):
        return Unavailable("payouts are not implemented yet in this build")
    raise exc


@contextmanager
def payout_problems() -> Iterator[None]:
    """The service's refusals as the API's problems (404, 409, 422, the four-eyes 409)."""
    try:
        yield
    except (payouts.PayoutError, NotImplementedError) as exc:
        raise problem_of_payout_error(exc) from None
