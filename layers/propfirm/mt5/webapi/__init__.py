"""The MT5 port over the Web API: `WebApiTransport` (connection, handshake, retries),
`parsing` (records -> models) and `WebApiGateway` (the port's operations)."""

from propfirm.mt5.webapi.gateway import GatewayOptions, WebApiGateway
from propfirm.mt5.webapi.transport import WebApiTransport

__all__ = ["GatewayOptions", "WebApiGateway", "WebApiTransport"]
