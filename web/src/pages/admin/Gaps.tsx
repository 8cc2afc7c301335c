import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { Loading, ProblemView } from "../../components/common";
import { type Decision, FindingDecision } from "../../components/FindingDecision";
import { when } from "../../format";
import { useSession } from "../../session";

type GapFinding = components["schemas"]["GapFindingOut"];
type Status = "open" | "dismissed" | "confirmed";
type Held = { ticket: number; symbol: string; side: string; volume: string; price_open: string };

const OUTCOME: Record<GapFinding["outcome"], string> = {
  breached: "the equity's upper bound fell through the floor in some minute of the gap",
  possible: "the equity may have crossed the floor: the minute's price range straddles it",
  unchecked: "MT5's record could not settle it",
};

function GapFindingCard({ finding }: { finding: GapFinding }) {
  const session = useSession();
  const client = useQueryClient();
  const decide = useMutation({
    mutationFn: async ({ action, note }: { action: Decision; note: string }) => {
      const params = { path: { gap_finding_id: finding.id } };
      if (action === "dismiss") return unwrap(await api().POST("/admin/gaps/findings/{gap_finding_id}/dismiss", { params, body: { note } }));
      return unwrap(await api().POST("/admin/gaps/findings/{gap_finding_id}/confirm", { params, body: { note, fail: action === "fail" } }));
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["gap-findings"] });
      void client.invalidateQueries({ queryKey: ["gap-reviews"] });
    },
  });
  const e = finding.evidence as { floor?: string | null; lowest?: string | null; at?: string | null; held?: Held[]; reason?: string };
  return (
    <article data-testid={`gap-finding-${finding.id}`}>
      <header>
        <strong>Account {finding.login}</strong> · {finding.outcome} · <span className={`badge ${finding.status}`}>{finding.status}</span>
      </header>
      <p>
        Blind from {when(finding.blind_from)} to {when(finding.blind_to)} ({finding.cause}): {OUTCOME[finding.outcome]}
        {e.lowest ? `; equity as low as ${e.lowest} against the floor ${e.floor}` : ""}
        {e.at ? ` in the minute of ${when(e.at)}` : ""}
        {e.reason ? ` (${e.reason})` : ""}.
        {finding.challenge_id ? ` Challenge ${finding.challenge_id}.` : " No challenge on this account when recorded."}
        {finding.decided_by ? ` ${finding.status} by ${finding.decided_by}: ${finding.note ?? ""}` : ""}
      </p>
      {!!e.held?.length && (
        <ul aria-label="positions held">
          {e.held.map((p) => (
            <li key={p.ticket}>
              #{p.ticket} {p.side} {p.volume} {p.symbol} from {p.price_open}
            </li>
          ))}
        </ul>
      )}
      {finding.status === "open" && (
        <FindingDecision
          name={`gap finding ${finding.id}`}
          failLabel="Confirm and fail the challenge"
          failTitle={`Confirm gap finding ${finding.id} and fail account ${finding.login}'s challenge`}
          canChange={session.canChange}
          decide={(action, note) => decide.mutateAsync({ action, note })}
        />
      )}
      {decide.error && <ProblemView error={decide.error} />}
    </article>
  );
}

export function Gaps() {
  const [status, setStatus] = useState<Status | "">("open");
  const reviews = useQuery({
    queryKey: ["gap-reviews"],
    queryFn: async () => unwrap(await api().GET("/admin/gaps/reviews", { params: { query: { limit: 20 } } })),
    refetchInterval: 10_000,
  });
  const findings = useQuery({
    queryKey: ["gap-findings", status],
    queryFn: async () => unwrap(await api().GET("/admin/gaps/findings", { params: { query: { status: status || undefined, limit: 100 } } })),
    refetchInterval: 10_000,
  });
  return (
    <>
      <h1>Blind intervals</h1>
      <p>
        While the poller completes no cycle it sees nothing. After each such gap it reads MT5's record of it (the deals and each
        minute's prices) and bounds every account's equity minute by minute. An account that breached, may have, or could not be
        checked is a finding here, with its evidence. Nothing is applied until a person decides.
      </p>
      <h2>Findings</h2>
      <form className="filters" onSubmit={(ev) => ev.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(ev) => setStatus(ev.target.value as Status | "")}>
            <option value="open">open</option>
            <option value="">all</option>
            <option value="dismissed">dismissed</option>
            <option value="confirmed">confirmed</option>
          </select>
        </label>
      </form>
      {findings.isPending && <Loading what="the findings" />}
      {findings.error && <ProblemView error={findings.error} />}
      {findings.data?.items.length === 0 && <p>None.</p>}
      {findings.data?.items.map((f) => <GapFindingCard key={f.id} finding={f} />)}
      <h2>Intervals checked</h2>
      {reviews.isPending && <Loading what="the intervals" />}
      {reviews.error && <ProblemView error={reviews.error} />}
      {reviews.data?.items.length === 0 && <p>None yet.</p>}
      {!!reviews.data?.items.length && (
        <table className="striped" aria-label="Intervals checked">
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Cause</th>
              <th scope="col">Checked</th>
              <th scope="col">Clear</th>
              <th scope="col" title="held and judged at every tick poll through a slow cycle: not checked again">
                Watched
              </th>
              <th scope="col" title="killed by the poller for that floor: the crossing was seen and acted on">
                Killed
              </th>
              <th scope="col">Findings (open)</th>
            </tr>
          </thead>
          <tbody>
            {reviews.data.items.map((r) => (
              <tr key={r.id}>
                <td>{r.server}</td>
                <td>{when(r.blind_from)}</td>
                <td>{when(r.blind_to)}</td>
                <td>{r.reason ? `${r.cause}: ${r.reason}` : r.cause}</td>
                <td className="num">{r.checked}</td>
                <td className="num">{r.clear}</td>
                <td className="num">{r.watched}</td>
                <td className="num">{r.killed}</td>
                <td className="num">
                  {r.findings} ({r.open_findings})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
