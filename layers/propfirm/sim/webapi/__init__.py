"""The simulator's MT5 Web API: HTTP(S) server, routing, JSON record shapes, return codes.

- `server.WebApiServer`: a threading HTTP/1.1 server; one handler per TCP connection,
  and that connection is the session (a new connection must authenticate again).
- `endpoints`: one function per `/api/...` path, answering from the `World`.
- `records`: the MT5 JSON records (User, Account, Position, Deal, Group, …) with every
  number as a string, field names in the documented case.
- `retcodes`: the `"<code> <text>"` strings of the return codes.
"""
