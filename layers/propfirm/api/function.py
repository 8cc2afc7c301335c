"""What the API Lambda runs behind API Gateway (REST, Cognito authorizer): the application (`propfirm.api.app`)
with the Lambda's logging, tracing and metrics. `functions/api/handler.py` is this `lambda_handler`, and the
local server (`propfirm api`, `propfirm dev`) serves the very same.

Settings from the environment (`propfirm.api.settings.ApiSettings`): DATABASE_URL, REDIS_URL,
REDIS_NAMESPACE, PROPFIRM_WEBHOOK_SECRET, MT5_SERVER_NAME, DB_POOL_MAX. Adapters are built on first use.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools import Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from propfirm.api.app import resolve
from propfirm.observability import function_logger

logger = function_logger("api")
metrics = Metrics(namespace="PropFirm", service="api")
tracer = Tracer(service="api")
# Powertools' metric set is one per process: the local server's threads would flush each other's (an empty
# set raises). A Lambda serves one request at a time, so the lock is never contended there.
_metrics_lock = threading.Lock()


# Neither the response (a trader's one-time MT5 passwords, personal data) nor an exception (which may
# quote a request) goes into the trace: X-Ray keeps timings and the call graph only.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = resolve(event, context)
    if is_metrics_disabled():
        # Powertools keeps disabled metrics and prints them every 100 values, and warns on every empty
        # flush: while they are off (propfirm api, tests), none is added and nothing is flushed
        return response
    status = int(response.get("statusCode", 500))
    with _metrics_lock:
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        if status >= 500:
            metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
        metrics.flush_metrics()  # resolve() answers every exception itself, so this always runs
    return response
