"""Outbound webhooks: the firm's events (challenges passed, failed, funded; payouts' stages) POSTed to the
HTTPS endpoints an admin subscribed, signed as the Standard Webhooks specification describes.

- `signing`: secrets (`whsec_…`) and the `webhook-signature` header;
- `messages`: an EventBridge event as the message a receiver gets (its id, type, body);
- `delivery`: the dispatcher: fan-out to subscriptions, attempts with backoff, the dead-letter list;
- `function`: the Lambda handlers (the rule's queue, the retry schedule).

At least once: a message is recorded per endpoint before it is sent, retried until a 2xx or its last
attempt, and every attempt (a redelivery from the dead-letter list too) carries the same `webhook-id`, by
which a receiver recognises a repeat.
"""
