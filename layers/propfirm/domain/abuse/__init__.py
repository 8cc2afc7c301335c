"""Abuse detection: pure functions over the deal stream, each finding with a score and its evidence.

- `trades`: deals as trades (a position from its opening deal to its last closing one);
- `detectors`: `hedging` (opposite positions mirrored across accounts), `copy_trading` (one signal on
  several accounts), `latency_arbitrage` (short, winning trades on stale prices), `martingale` (size
  doubled against a loss), `grid` (same-size entries at a fixed distance); `detect` runs them all;
- `news`: `news_straddle` (a buy and a sell of one size held across a news release, as a habit);
- `findings`: the thresholds and the finding every detector shares.

Nothing here fails a challenge: a finding is for a risk officer to confirm or dismiss (the API's
/admin/abuse routes), with the deals that prove it.
"""
