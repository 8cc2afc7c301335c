import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Loading, ProblemView } from "../../components/common";
import { money, when, words } from "../../format";
import { link } from "../../router";

export function Transitions() {
  const recent = useQuery({
    queryKey: ["recent-transitions"],
    queryFn: async () => unwrap(await api().GET("/admin/transitions", { params: { query: { limit: 100 } } })),
    refetchInterval: 5_000,
  });
  const pending = useQuery({
    queryKey: ["pending"],
    queryFn: async () => unwrap(await api().GET("/admin/transitions/pending", { params: { query: { limit: 100 } } })),
    refetchInterval: 5_000,
  });
  return (
    <>
      <h1>Transitions</h1>
      <section>
        <h2>Recent decisions</h2>
        {recent.isPending && <Loading what="the transitions" />}
        {recent.error && <ProblemView error={recent.error} />}
        {recent.data && (
          <div className="overflow-auto" tabIndex={0} role="region" aria-label="scrollable table">
            <table className="striped">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Challenge</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Reason</th>
                  <th scope="col" className="num">Equity</th>
                  <th scope="col" className="num">Limit</th>
                </tr>
              </thead>
              <tbody>
                {recent.data.items.map((t) => (
                  <tr key={t.id} data-testid={`transition-${t.id}`}>
                    <td>{when(t.decided_at)}</td>
                    <td>
                      <a href={link(`/admin/challenges/${t.challenge_id}`)}>#{t.challenge_id}</a> <small>{t.login}</small>
                    </td>
                    <td>
                      <span className={`badge ${t.decision}`}>{words(t.decision)}</span>
                    </td>
                    <td>{words(t.reason)}</td>
                    <td className="num">{money(t.equity)}</td>
                    <td className="num">{money(t.limit)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section>
        <h2>Decided, not yet carried out</h2>
        {pending.error && <ProblemView error={pending.error} />}
        {pending.data && (
          <>
            <p>
              {pending.data.challenges.length} challenges waiting (kill reports, balance resets), {pending.data.commands.length} commands
              pending or unanswered.
            </p>
            <ul>
              {pending.data.commands.map((c) => (
                <li key={String(c.command_id)}>
                  <code>{String(c.command_id)}</code> {String(c.kind)} · {String(c.status)} since {when(String(c.created_at))}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
    </>
  );
}
