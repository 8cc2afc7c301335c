import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { Loading, ProblemView } from "../../components/common";
import { type Decision, FindingDecision } from "../../components/FindingDecision";
import { when, words } from "../../format";
import { useSession } from "../../session";

type Finding = components["schemas"]["FindingOut"];
type Status = "open" | "dismissed" | "confirmed";
type Detector = Finding["detector"];
const DETECTORS: Detector[] = ["hedging", "copy_trading", "latency_arbitrage", "martingale", "grid", "news_straddle"];
const WHAT: Record<Detector, string> = {
  hedging: "opposite positions of the same size on two accounts, opened and closed together",
  copy_trading: "the same trades, at the same relative size and time, on several accounts",
  latency_arbitrage: "short trades won far too often: fills at stale prices",
  martingale: "size doubled against a losing position, level after level",
  grid: "a ladder of same-size entries at a fixed distance, each added while the others are open",
  news_straddle: "a buy and a sell of one size held across news releases: one leg always wins the jump",
};

type Trade = { login: number; symbol: string; side: string; volume: string; opened_at: string; open_price: string; closed_at: string | null; close_price: string | null; profit: string };

function TradesSideBySide({ matches }: { matches: { lag_seconds: number; trades: Trade[] }[] }) {
  return (
    <div className="overflow-auto" tabIndex={0} role="region" aria-label="matched trades">
      <table className="striped">
        <thead>
          <tr>
            <th scope="col">Opened</th>
            <th scope="col">Lag</th>
            <th scope="col">Symbol</th>
            <th scope="col">Account, side, lots, open → close, profit</th>
          </tr>
        </thead>
        <tbody>
          {matches.map((m, i) => (
            <tr key={i}>
              <td>{when(m.trades[0]?.opened_at ?? "")}</td>
              <td>{m.lag_seconds} s</td>
              <td>{m.trades[0]?.symbol}</td>
              <td>
                {m.trades.map((t) => (
                  <div key={`${t.login}-${t.opened_at}`}>
                    {t.login} {t.side} {t.volume} @ {t.open_price} → {t.close_price ?? "open"}: {t.profit}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Shared = { kind: "address" | "device"; value: string; traders: number[]; logins: number[]; label?: string };
type Owners = { groups: Record<string, number[]>; one_trader: boolean; unknown: number[]; shared?: Shared[] };

/** The accounts of a finding grouped by the trader holding each (the scan's `evidence.traders`), and the
 * addresses and devices two or more of those traders signed in from. */
function WhoseAccounts({ traders }: { traders: Owners }) {
  const groups = Object.entries(traders.groups);
  return (
    <>
      <p role="note" aria-label="whose accounts">
        {traders.one_trader
          ? `One trader holds all these accounts (trader ${groups[0]?.[0]}).`
          : [
              ...groups.map(([trader, logins]) => `trader ${trader}: ${logins.join(", ")}`),
              ...(traders.unknown.length ? [`no challenge here: ${traders.unknown.join(", ")}`] : []),
            ].join("; ")}
      </p>
      {!!traders.shared?.length && (
        <ul aria-label="what the traders share">
          {traders.shared.map((s) => (
            <li key={`${s.kind}:${s.value}`}>
              Traders {s.traders.join(" and ")} signed in from the same {s.kind}{" "}
              <code>{s.kind === "device" ? s.label || s.value : s.value}</code> (accounts {s.logins.join(", ")})
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Evidence({ id }: { id: number }) {
  const finding = useQuery({
    queryKey: ["abuse-finding", id],
    queryFn: async () => unwrap(await api().GET("/admin/abuse/findings/{finding_id}", { params: { path: { finding_id: id } } })),
  });
  if (finding.isPending) return <Loading what="the evidence" />;
  if (finding.error) return <ProblemView error={finding.error} />;
  const evidence = (finding.data.evidence ?? {}) as Record<string, unknown>;
  const matches = evidence.matches as { lag_seconds: number; trades: Trade[] }[] | undefined;
  const numbers = Object.entries(evidence).filter(([, v]) => typeof v !== "object" || v === null);
  const traders = evidence.traders as Owners | undefined;
  const market = evidence.against_the_market as
    | { compared: number; filled_better_than_the_market: number; window_seconds: number; largest: { better_by: string }[] }
    | undefined;
  return (
    <>
      {traders && <WhoseAccounts traders={traders} />}
      <dl className="evidence">
        {numbers.map(([k, v]) => (
          <div key={k}>
            <dt>{words(k)}</dt>
            <dd>{String(v)}</dd>
          </div>
        ))}
      </dl>
      {matches && <TradesSideBySide matches={matches} />}
      {market && market.compared > 0 && (
        <p role="note" aria-label="against the market">
          {market.filled_better_than_the_market} of {market.compared} short trades were filled at a better price than the
          other accounts' fills of the same symbol and side within {market.window_seconds} s
          {market.largest[0] ? ` (the largest by ${market.largest[0].better_by})` : ""}.
        </p>
      )}
      <details>
        <summary>All the evidence ({finding.data.deals?.length ?? 0} deals)</summary>
        <pre>{JSON.stringify(evidence, null, 2)}</pre>
        <p>
          <small>Deals (login, ticket): {(finding.data.deals ?? []).map((d) => `${d[0]}:${d[1]}`).join(", ")}</small>
        </p>
      </details>
    </>
  );
}

function FindingCard({ finding }: { finding: Finding }) {
  const session = useSession();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const decide = useMutation({
    mutationFn: async ({ action, note }: { action: Decision; note: string }) => {
      const params = { path: { finding_id: finding.id } };
      if (action === "dismiss") return unwrap(await api().POST("/admin/abuse/findings/{finding_id}/dismiss", { params, body: { note } }));
      return unwrap(await api().POST("/admin/abuse/findings/{finding_id}/confirm", { params, body: { note, fail: action === "fail" } }));
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: ["abuse-findings"] }),
  });
  return (
    <article data-testid={`finding-${finding.id}`}>
      <header>
        <strong>{words(finding.detector)}</strong> · accounts {finding.logins.join(", ")} · score {finding.score} ·{" "}
        <span className={`badge ${finding.status}`}>{finding.status}</span>
      </header>
      <p>
        {WHAT[finding.detector]}. First seen {when(finding.first_seen_at)}, last {when(finding.updated_at)}
        {finding.decided_by ? `; ${finding.status} by ${finding.decided_by}: ${finding.note ?? ""}` : ""}.
      </p>
      <button type="button" className="outline" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? "Hide the evidence" : "Show the evidence"}
      </button>
      {open && <Evidence id={finding.id} />}
      {finding.status === "open" && (
        <FindingDecision
          name={`finding ${finding.id}`}
          failLabel="Confirm and fail the challenges"
          failTitle={`Confirm finding ${finding.id} and fail ${finding.logins.length} challenges`}
          canChange={session.canChange}
          decide={(action, note) => decide.mutateAsync({ action, note })}
        />
      )}
      {decide.error && <ProblemView error={decide.error} />}
    </article>
  );
}

export function Abuse() {
  const [status, setStatus] = useState<Status | "">("open");
  const [detector, setDetector] = useState<Detector | "">("");
  const findings = useQuery({
    queryKey: ["abuse-findings", status, detector],
    queryFn: async () =>
      unwrap(await api().GET("/admin/abuse/findings", { params: { query: { status: status || undefined, detector: detector || undefined, limit: 100 } } })),
    refetchInterval: 10_000,
  });
  return (
    <>
      <h1>Abuse findings</h1>
      <p>What the detectors found on the deal stream. Nothing fails until a person confirms it.</p>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as Status | "")}>
            <option value="open">open</option>
            <option value="">all</option>
            <option value="dismissed">dismissed</option>
            <option value="confirmed">confirmed</option>
          </select>
        </label>
        <label>
          Detector
          <select value={detector} onChange={(e) => setDetector(e.target.value as Detector | "")}>
            <option value="">any</option>
            {DETECTORS.map((d) => (
              <option key={d} value={d}>
                {words(d)}
              </option>
            ))}
          </select>
        </label>
      </form>
      {findings.isPending && <Loading what="the findings" />}
      {findings.error && <ProblemView error={findings.error} />}
      {findings.data?.items.length === 0 && <p>None.</p>}
      {findings.data?.items.map((f) => <FindingCard key={f.id} finding={f} />)}
    </>
  );
}
