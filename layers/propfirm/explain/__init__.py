"""Every decision explains itself: its inputs kept (so it can be recomputed), what moved equity, and an
account of it in words a trader understands (`propfirm explain`, the API's explanation routes).

- `inputs`: the decision's inputs (the state before, the events judged, the program version) as replay
  lines, and their SHA-256;
- `attribution`: what moved equity since the previous judged snapshot, in amounts that add up exactly;
- `recompute`: the decision recomputed from its inputs with the rule engine;
- `text`: the plain-language account, one function for the command line and the API;
- `service`: reading a transition back from PostgreSQL and putting the above together.
"""
