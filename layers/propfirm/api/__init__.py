"""The API: the Lambda behind API Gateway serving the trader and admin dashboards and the purchase webhook.

- `app`: the Powertools resolver, its routers (`routers/`), the problem+json mapping, `resolve()`.
- `auth`: the principal from Cognito claims (`requestContext.authorizer.claims`), role checks.
- `tokens`: the local stack's HS256 tokens (what Cognito issues in AWS) and local secrets.
- `queries`: read-side SQL (CQRS-style); `purchases`, `overrides`: the write side (the evaluator binds
  a purchase's new account to its challenge: `propfirm.evaluation.provisioning`).
- `local_server`: API Gateway's REST proxy event over a threaded HTTP server (`serve_api`).
"""
