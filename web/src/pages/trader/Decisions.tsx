import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { Transition } from "../../api/types";
import { Loading, ProblemView } from "../../components/common";
import { money, when, words } from "../../format";

function Explained({ challengeId, transition }: { challengeId: number; transition: Transition }) {
  const told = useQuery({
    queryKey: ["explanation", transition.id],
    queryFn: async () =>
      unwrap(
        await api().GET("/challenges/{challenge_id}/transitions/{transition_id}/explanation", {
          params: { path: { challenge_id: challengeId, transition_id: transition.id } },
        }),
      ),
    staleTime: Infinity, // a recorded decision does not change
  });
  if (told.isPending) return <Loading what="the explanation" />;
  if (told.error) return <ProblemView error={told.error} />;
  const e = told.data;
  return (
    <div className="explanation">
      <p>{e.text}</p>
      <p>
        <small>
          {e.manual ? "An operator's decision." : e.same ? "✔ Recomputed from the stored inputs: the same decision." : "✖ The recomputation differs."}
          {e.inputs_sha256 && (
            <>
              {" "}Inputs SHA-256 <code>{e.inputs_sha256.slice(0, 16)}…</code>
            </>
          )}
        </small>
      </p>
      {e.attribution && (
        <table className="compact">
          <caption>What moved equity since the previous check</caption>
          <tbody>
            {Object.entries(e.attribution).map(([part, amount]) => (
              <tr key={part} className={part === "total" ? "total" : ""}>
                <th scope="row">{words(part)}</th>
                <td className="num">{money(amount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function Decisions({ challengeId, transitions }: { challengeId: number; transitions: Transition[] }) {
  return (
    <section>
      <h2>Decisions</h2>
      {transitions.length === 0 && <p>No decision yet: the account is judged on every poll.</p>}
      {[...transitions].reverse().map((t) => (
        <details key={t.id} className={`decision ${t.decision}`}>
          <summary>
            <span className={`badge ${t.decision}`}>{words(t.decision)}</span> {words(t.reason)} · equity {money(t.equity)}
            {t.limit !== null && ` · limit ${money(t.limit)}`} · {when(t.decided_at)}
          </summary>
          <Explained challengeId={challengeId} transition={t} />
        </details>
      ))}
    </section>
  );
}
