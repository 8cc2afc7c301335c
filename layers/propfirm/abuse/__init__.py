"""Abuse detection near the deal stream: the scan (`scan`), its Lambda (`function`); the detectors are
pure (`propfirm.domain.abuse`) and the findings live in PostgreSQL (`propfirm.store.abuse`)."""
