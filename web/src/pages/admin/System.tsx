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
