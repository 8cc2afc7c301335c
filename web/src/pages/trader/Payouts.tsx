import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Loading, ProblemView } from "../../components/common";
import { PayoutStages } from "../../components/PayoutStages";
import { money, when, words } from "../../format";

// each condition by what it asks (its code names the denial it gives when unmet)
const CONDITION: Record<string, string> = {
  not_funded: "in the funded stage",
  account_not_active: "account active",
  no_open_positions: "no position open",
  min_days: "days since the period began",
  not_in_profit: "a realised profit",
  min_amount: "the minimum payout",
  consistency: "consistency",
  profitable_days: "profitable days",
  payout_open: "no payout in progress",
};

export function PayoutsPanel({ challengeId, funded }: { challengeId: number; funded: boolean }) {
  const client = useQueryClient();
  const path = { challenge_id: challengeId };
  const eligibility = useQuery({
    queryKey: ["eligibility", challengeId],
    queryFn: async () => unwrap(await api().GET("/challenges/{challenge_id}/payouts/eligibility", { params: { path } })),
    refetchInterval: 15_000,
  });
  const payouts = useQuery({
    queryKey: ["payouts", challengeId],
    queryFn: async () => unwrap(await api().GET("/challenges/{challenge_id}/payouts", { params: { path } })),
    refetchInterval: 5_000,
  });
  const request = useMutation({
    mutationFn: async () => unwrap(await api().POST("/challenges/{challenge_id}/payouts", { params: { path } })),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ["eligibility", challengeId] });
      void client.invalidateQueries({ queryKey: ["payouts", challengeId] });
    },
  });
  const e = eligibility.data;
  return (
    <section>
      <h2>Payouts</h2>
      {!funded && <p>Payouts open in the funded stage. The conditions below show where you stand.</p>}
      {eligibility.isPending && <Loading what="the payout check" />}
      {eligibility.error && <ProblemView error={eligibility.error} />}
      {e && (
        <>
          <table className="conditions">
            <caption>Before asking: every condition</caption>
            <thead>
              <tr>
                <th scope="col">Condition</th>
                <th scope="col">State</th>
                <th scope="col">Found / required</th>
                <th scope="col">Met from</th>
              </tr>
            </thead>
            <tbody>
              {e.conditions.map((c) => (
                <tr key={c.code} className={c.met ? "met" : "unmet"}>
                  <th scope="row">{CONDITION[c.code] ?? words(c.code)}</th>
                  <td>{c.met ? "✔ met" : "✖ not yet"}</td>
                  <td>
                    {c.value ?? "—"} / {c.limit ?? "—"} <small>{c.message}</small>
                  </td>
                  <td>{c.met ? "" : c.met_from ? when(c.met_from) : "when you meet it"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {e.quote && (
            <p>
              A payout asked now: profit {money(String(e.quote.profit))}, your share {money(String(e.quote.trader_share))} (
              {String(e.quote.split_pct)}%), covering {(e.quote.deals as number[]).length} deals.
            </p>
          )}
          <button type="button" disabled={!e.eligible || request.isPending} onClick={() => request.mutate()} aria-busy={request.isPending}>
            Request a payout
          </button>
          {request.error && <ProblemView error={request.error} />}
        </>
      )}
      {payouts.data && payouts.data.items.length > 0 && (
        <div className="payout-list">
          {payouts.data.items.map((p) => (
            <article key={p.id} data-testid={`payout-${p.id}`}>
              <header>
                Payout #{p.payout_number} · <span className={`badge ${p.status}`}>{words(p.status)}</span> · your share{" "}
                {money(p.trader_share, p.currency)} of {money(p.profit)} profit · {p.deals.length} deals
              </header>
              <PayoutStages payout={p} />
              <small>
                Period {when(p.period_start)} to {when(p.period_end)}
              </small>
            </article>
          ))}
        </div>
      )}
    </section>
  );
}
