"""Powertools' REST resolver made safe for concurrent requests in one process (the local server's threads).

`ApiGatewayResolver.resolve` keeps the current event in a class attribute (`BaseRouter.current_event`)
and the route context in an instance dict, so two requests resolved at once in one process could see
each other's event, claims included. Here the event, the Lambda context, the route context and the
middleware frames live in a ContextVar of the request (each thread has its own), the way Powertools' own
`HttpResolverLocal` does it. Routers read through `api_resolver`, so they see the request's own state.

Each route also builds its middleware stack on its first call, by reassigning one attribute frame by
frame: two first calls at once would run, and keep, a half-built or doubly-wrapped stack. Here the first
build of each route happens under a lock.

And a query parameter the route does not declare is refused (422): a misspelt `cursor` or `limit` would
otherwise be ignored silently, and the answer taken for the page asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter, ResponseBuilder, Route
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent


@dataclass
class _RequestState:
    event: BaseProxyEvent | None = None
    lambda_context: Any = None
    context: dict = field(default_factory=dict)
    processed_stack_frames: list[str] = field(default_factory=list)


class ConcurrentRestResolver(APIGatewayRestResolver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._startup_state = _RequestState()  # routes registered at import time put their context here
        self._request_state: ContextVar[_RequestState | None] = ContextVar("propfirm_api_request", default=None)
        self._stack_build = threading.Lock()
        super().__init__(*args, **kwargs)

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> ResponseBuilder:
        unknown = self._unknown_query_parameters(route)
        if unknown:
            errors = [
                {"loc": ("query", name), "msg": "not a parameter of this route", "type": "extra_forbidden"}
                for name in unknown
            ]
            refused = self._call_exception_handler(RequestValidationError(errors), route)
            if refused is not None:
                return refused
        if not route._middleware_stack_built:
            with self._stack_build:
                if not route._middleware_stack_built:  # built once, by one request, whole
                    route._build_middleware_stack(router_middlewares=self._router_middlewares, app=self)
        return super()._call_route(route, route_arguments)

    def _unknown_query_parameters(self, route: Route) -> list[str]:
        declared = {param.alias for param in route.dependant.query_params}
        event = self.current_event
        given = event.multi_value_query_string_parameters or event.query_string_parameters or {}
        return sorted(name for name in given if name not in declared)

    @property
    def _state(self) -> _RequestState:
        return self._request_state.get() or self._startup_state

    @property  # type: ignore[override]  # the resolver's own event type is the wider base
    def current_event(self) -> BaseProxyEvent:
        return self._state.event or BaseRouter.current_event

    @current_event.setter
    def current_event(self, value: BaseProxyEvent) -> None:
        self._state.event = value

    @property
    def lambda_context(self) -> Any:
        return self._state.lambda_context

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._state.lambda_context = value

    @property
    def context(self) -> dict:
        return self._state.context

    @context.setter
    def context(self, value: dict) -> None:
        self._state.context = value

    @property
    def processed_stack_frames(self) -> list[str]:
        return self._state.processed_stack_frames

    @processed_stack_frames.setter
    def processed_stack_frames(self, value: list[str]) -> None:
        self._state.processed_stack_frames = value

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        state = _RequestState(
            event=self._to_proxy_event(dict(event)),
            lambda_context=context,
            context=dict(self._startup_state.context),
        )
        token = self._request_state.set(state)
        try:
            # the base class also sets BaseRouter.current_event; nothing here reads it while a state is set
            return super().resolve(event, context)
        finally:
            self._request_state.reset(token)
