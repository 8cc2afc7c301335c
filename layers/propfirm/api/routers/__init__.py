"""The API's routes by area: public, webhooks, trader, admin."""
