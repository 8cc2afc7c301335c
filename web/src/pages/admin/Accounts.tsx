import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { AccountRow } from "../../api/types";
import { Loading, Pager, ProblemView } from "../../components/common";
import { money, share, when, words } from "../../format";
import { link } from "../../router";

const REFRESH = 5_000; // conditional requests: an unchanged page is a 304

function riskTone(risk: string | null): string {
  if (risk === null) return "";
  const left = Number(risk);
  return left <= 0.1 ? "danger" : left <= 0.3 ? "warning" : "";
}

function AccountTable({ rows, caption }: { rows: AccountRow[]; caption: string }) {
  return (
    <div className="overflow-auto" tabIndex={0} role="region" aria-label="scrollable table">
      <table className="striped accounts">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Challenge</th>
            <th scope="col">Trader</th>
            <th scope="col">Program · phase</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">Equity</th>
            <th scope="col" className="num">Daily floor</th>
            <th scope="col" className="num">Max floor</th>
            <th scope="col" className="num">Loss left</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id} className={riskTone(a.risk)} data-testid={`account-${a.id}`}>
              <td>
                <a href={link(`/admin/challenges/${a.id}`)}>#{a.id}</a> <small>{a.login ?? "—"}</small>
              </td>
              <td>{a.trader_email}</td>
              <td>
                {a.program_id} · {a.phase + 1}
              </td>
              <td>
                <span className={`badge ${a.status}`}>{words(a.status)}</span>
              </td>
              <td className="num">{money(a.equity)}</td>
              <td className="num">{money(a.daily_floor)}</td>
              <td className="num">{money(a.max_floor)}</td>
              <td className="num">{share(a.risk)}</td>
              <td>{when(a.updated_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Status = "provisioning" | "active" | "failed" | "passed";

export function Accounts() {
  const [status, setStatus] = useState<Status | "">("");
  const [program, setProgram] = useState("");
  const [email, setEmail] = useState("");
  const [within, setWithin] = useState("0.25");
  const sort = status === "" || status === "active" ? "risk" : "id";
  const filters = { program: program.trim() || undefined, email: email.trim() || undefined };
  const accounts = useInfiniteQuery({
    queryKey: ["accounts", sort, status, filters],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api().GET("/admin/accounts", {
          params: { query: { sort, status: status || undefined, limit: 50, cursor: pageParam, ...filters } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: REFRESH,
    placeholderData: (previous) => previous,
  });
  const rows = accounts.data?.pages.flatMap((p) => p.items) ?? [];
  const near = useQuery({
    queryKey: ["near-limit", within, filters.program],
    queryFn: async () =>
      unwrap(await api().GET("/admin/accounts/near-limit", { params: { query: { within: Number(within), program: filters.program, limit: 50 } } })),
    refetchInterval: REFRESH,
    placeholderData: (previous) => previous,
  });
  return (
    <>
      <h1>Accounts</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as Status | "")}>
            <option value="">active, by risk</option>
            <option value="active">active</option>
            <option value="provisioning">provisioning</option>
            <option value="passed">passed</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <label>
          Program
          <input value={program} onChange={(e) => setProgram(e.target.value)} placeholder="any" />
        </label>
        <label>
          Trader's email
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="any" />
        </label>
        <label>
          Near the limit within
          <select value={within} onChange={(e) => setWithin(e.target.value)}>
            <option value="0.1">10% of a limit left</option>
            <option value="0.25">25%</option>
            <option value="0.5">50%</option>
          </select>
        </label>
      </form>
      <section>
        <h2>Near a limit</h2>
        {near.error && <ProblemView error={near.error} />}
        {near.data && (near.data.items.length ? <AccountTable rows={near.data.items} caption="the closest to a floor first" /> : <p>None.</p>)}
      </section>
      <section>
        <h2>{sort === "risk" ? "Active accounts, the closest to a floor first" : `Accounts: ${status}`}</h2>
        {accounts.isPending && <Loading what="the accounts" />}
        {accounts.error && <ProblemView error={accounts.error} />}
        {accounts.data && <AccountTable rows={rows} caption={`${rows.length} shown, refreshed every 5 s`} />}
        <Pager hasMore={accounts.hasNextPage} onMore={() => void accounts.fetchNextPage()} busy={accounts.isFetchingNextPage} />
      </section>
    </>
  );
}
