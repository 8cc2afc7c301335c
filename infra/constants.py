"""Names, sizes and paths the constructs share. Settings an operator changes per deployment are context
keys (see `infra.settings`); these are the fixed facts of the design."""

from __future__ import annotations

from pathlib import Path

from propfirm.domain.roles import Role
from propfirm.webhooks.messages import EVENT_TYPES

REPO_ROOT = Path(__file__).resolve().parent.parent

# Lambda: Python 3.12 on x86_64; the layer is built for the same (infra/build_layer.py).
LAMBDA_PYTHON = "python3.12"
LAYER_PLATFORM = "manylinux2014_x86_64"
LAYER_PYTHON_VERSION = "3.12"
DEFAULT_LAYER_DIR = REPO_ROOT / "build" / "layer"  # holds python/<packages>
LAYER_DIR_ENV = "PROPFIRM_LAYER_DIR"  # overrides the context key propfirm:layerDir
DEFAULT_WEB_DIR = REPO_ROOT / "web" / "dist"  # the dashboards, built by `make web`
WEB_DIR_ENV = "PROPFIRM_WEB_DIR"  # overrides the context key propfirm:webDir

# Handler paths (the function code asset is the repository's `functions/` package).
EVALUATOR_HANDLER = "functions.evaluator.handler.lambda_handler"
RELAY_HANDLER = "functions.evaluator.handler.relay_handler"
PAYOUTS_HANDLER = "functions.payouts.handler.lambda_handler"
PAYOUTS_SWEEP_HANDLER = "functions.payouts.handler.sweep_handler"
API_HANDLER = "functions.api.handler.lambda_handler"
MIGRATE_HANDLER = "functions.migrate.handler.lambda_handler"
WEBHOOKS_HANDLER = "functions.webhooks.handler.lambda_handler"
WEBHOOKS_RETRY_HANDLER = "functions.webhooks.handler.retry_handler"
ABUSE_HANDLER = "functions.abuse.handler.lambda_handler"
NOTIFICATIONS_HANDLER = "functions.notifications.handler.lambda_handler"

POLLER_DOCKERFILE = "functions/poller/Dockerfile"
POLLER_WINDOWS_DOCKERFILE = "functions/poller/Dockerfile.windows"  # the Manager API gateway (Windows only)
PAYOUTS_ASL = REPO_ROOT / "layers" / "propfirm" / "payouts" / "workflow.asl.json"
MIGRATIONS_DIR = REPO_ROOT / "layers" / "propfirm" / "store" / "migrations"

# Timeouts and sizes.
EVALUATOR_TIMEOUT_SECONDS = 60
EVALUATOR_MEMORY_MB = 1024
EVALUATOR_BATCH_SIZE = 10
RELAY_TIMEOUT_SECONDS = 50  # below the one-minute schedule, so two runs never overlap for long
PAYOUTS_TIMEOUT_SECONDS = 60
API_TIMEOUT_SECONDS = 29  # API Gateway's integration limit
WEBHOOKS_TIMEOUT_SECONDS = 60  # a batch of POSTs of at most 5 s each; the rest waits for the retry schedule
ABUSE_TIMEOUT_SECONDS = 300  # a week of a server's deals: about 10 ms of CPU per 1,000 deals, plus reading them
NOTIFICATIONS_TIMEOUT_SECONDS = 60  # ten events, a few sends each, 5 s at most per send
MIGRATE_TIMEOUT_SECONDS = 600  # a migration on a large table; the trigger waits as long
LAMBDA_MEMORY_MB = 512

# Data.
DB_NAME = "propfirm"
DB_USER = "propfirm"  # the master user: owns the schema; only the migration function signs in as it
APP_DB_USER = "propfirm_runtime"  # every other function: a login in the propfirm_app role (migration 0008)
DB_PORT = 5432
REDIS_PORT = 6379
CACHE_USER = "propfirm"  # the Valkey (RBAC) user of every consumer
AURORA_MIN_ACU = 0.5

# Metrics: the poller's and evaluator's EMF namespace (propfirm.poller.observability).
METRICS_NAMESPACE = "PropFirm"
POLLER_SERVICE_DIMENSION = "poller"
POLLER_CYCLE_METRIC = "CycleDuration"

# Domain events on the bus (detail-type), for rules of downstream integrations: the one list the
# webhooks' subscriptions choose from (propfirm.webhooks.messages), not a copy of it.
DOMAIN_EVENT_SOURCE = "propfirm"
DOMAIN_EVENTS = EVENT_TYPES

COGNITO_GROUPS = tuple(str(r) for r in Role)  # the API's roles (propfirm.domain.roles)
