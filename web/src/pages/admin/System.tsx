import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Loading, ProblemView, Stat } from "../../components/common";
import { when } from "../../format";

export function System() {
  const health = useQuery({
    queryKey: ["system"],
    queryFn: async () => unwrap(await api().GET("/admin/system")),
    refetchInterval: 5_000,
  });
  if (health.isPending) return <Loading what="the system's health" />;
  if (health.error) return <ProblemView error={health.error} />;
  const h = health.data;
  return (
    <>
      <h1>System</h1>
      <p>As of {when(h.time)}.</p>
      <h2>Pollers</h2>
      <div className="stats">
        {h.pollers.map((p) => {
          const age = p.heartbeat_age_seconds;
          const tone = age === null || age === undefined ? "danger" : age > 30 ? "danger" : age > 10 ? "warning" : "";
          return (
            <Stat
              key={p.server}
              label={`Poller ${p.server}`}
              tone={tone}
              value={age === null || age === undefined ? "no heartbeat" : `${age.toFixed(1)} s ago`}
              note={`cycle ${p.cycle ?? "—"} · ${p.accounts ?? "—"} accounts · ${p.cycle_seconds ?? "—"} s a cycle`}
            />
          );
        })}
        <Stat
          label="Evaluation lag"
          value={h.evaluation?.lag_seconds !== undefined && h.evaluation?.lag_seconds !== null ? `${h.evaluation.lag_seconds.toFixed(2)} s` : "—"}
          note={h.evaluation ? `last batch ${h.evaluation.age_seconds.toFixed(0)} s ago, ${h.evaluation.messages} messages` : "no batch in the last hour"}
        />
      </div>
      <h2>Blind intervals</h2>
      <p>
        Gaps between two good poller cycles: nothing watched the accounts meanwhile, so a dip below a floor that came
        back in one was never seen.
      </p>
      {h.pollers.every((p) => (p.blind_intervals ?? []).length === 0) ? (
        <p>None recorded.</p>
      ) : (
        <table className="striped" aria-label="Blind intervals">
          <thead>
            <tr>
              <th>Poller</th>
              <th>From</th>
              <th>To</th>
              <th>Seconds</th>
              <th>Failed cycles</th>
              <th>Cause</th>
            </tr>
          </thead>
          <tbody>
            {h.pollers.flatMap((p) =>
              (p.blind_intervals ?? []).map((b) => (
                <tr key={`${p.server}-${b.from}`}>
                  <td>{p.server}</td>
                  <td>{when(b.from)}</td>
                  <td>{when(b.to)}</td>
                  <td className="num">{b.seconds.toFixed(1)}</td>
                  <td className="num">{b.failed_cycles}</td>
                  <td>{b.cause}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
      <h2>Blind intervals checked</h2>
      <p>
        After each blind interval the poller reads MT5's record of it (the deals and each minute's prices) and bounds
        every account's equity minute by minute. An account that breached, or may have, is listed here for review with
        its evidence: nothing is decided on it automatically.
      </p>
      {h.pollers.every((p) => (p.gap_reviews ?? []).length === 0) ? (
        <p>None checked yet.</p>
      ) : (
        <table className="striped" aria-label="Blind intervals checked">
          <thead>
            <tr>
              <th>Poller</th>
              <th>From</th>
              <th>To</th>
              <th>Checked</th>
              <th>Clear</th>
              <th>To review</th>
            </tr>
          </thead>
          <tbody>
            {h.pollers.flatMap((p) =>
              (p.gap_reviews ?? []).map((g) => (
                <tr key={`${p.server}-gap-${g.from}-${g.to}`}>
                  <td>{p.server}</td>
                  <td>{g.from ? when(g.from) : "—"}</td>
                  <td>{g.to ? when(g.to) : "—"}</td>
                  <td className="num">{g.checked}</td>
                  <td className="num">{g.clear}</td>
                  <td>
                    {g.reason
                      ? g.reason
                      : g.accounts.length === 0
                        ? "none"
                        : g.accounts.map((a) => (
                            <div key={a.login}>
                              {a.login}: {a.outcome}
                              {a.lowest ? `, equity ${a.lowest} against the floor ${a.floor}` : ""}
                              {a.at ? ` at ${when(a.at)}` : ""}
                              {a.outcome === "unchecked" ? ` (${a.reason})` : ""}
                            </div>
                          ))}
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
      <h2>Queues</h2>
      <div className="stats">
        {Object.entries(h.queues).map(([name, q]) => (
          <Stat key={name} label={`${name} queue`} value={q.error ? "unreadable" : `${q.visible} waiting`} note={q.error ?? `${q.in_flight} in flight`} />
        ))}
        {Object.entries(h.outbox).map(([name, n]) => (
          <Stat key={name} label={`outbox ${name}`} value={String(n)} />
        ))}
      </div>
    </>
  );
}
