"""The API's side of the payouts service (`propfirm.payouts.service`): calls and the mapping of its
results and errors to JSON and problems. Imported lazily so the rest of the API works without it."""

from __future__ import annotations

import dataclasses
from typing import Any

from propfirm.api.problems import ApiProblem, Conflict, FourEyes, NotFound, Unavailable, Unprocessable
from propfirm.api.queries import jsonable


def service() -> Any:
    try:
        from propfirm.payouts import service as payouts
    except ImportError as exc:
        raise Unavailable(f"payouts are not available in this build: {exc}") from None
    return payouts


def payout_json(record: Any) -> dict[str, Any]:
    """The service's own public form (task tokens never shown), money as strings."""
    if hasattr(record, "to_dict"):
        return jsonable(record.to_dict())
    data = dataclasses.asdict(record)
    data["deals"] = list(data.get("deals") or ())
    return jsonable(data)


def eligibility_json(result: Any) -> dict[str, Any]:
    return jsonable(result.to_dict())


def problem_of_payout_error(exc: Exception) -> ApiProblem:
    payouts = service()
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


def call(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    payouts = service()
    try:
        return getattr(payouts, fn_name)(*args, **kwargs)
    except (payouts.PayoutError, NotImplementedError) as exc:
        raise problem_of_payout_error(exc) from None
