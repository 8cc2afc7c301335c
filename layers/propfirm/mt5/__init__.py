"""MT5 access: the port (`port.Mt5Gateway`) in domain terms (`models`, `errors`) and its adapters,
`webapi.WebApiGateway` (MT5 Web API, any OS) and `manager.ManagerApiGateway` (MT5Manager, Windows);
`settings.gateway_from_settings()` builds the configured one. See docs/mt5.md."""
