import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { Loading, Pager, ProblemView } from "../../components/common";
import { money, when } from "../../format";

type Role = "trade" | "balance_operation" | "system" | "other";

export function Trades({ challengeId, currency }: { challengeId: number; currency: string }) {
  const [symbol, setSymbol] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const wanted = symbol.trim().toUpperCase();
  const deals = useInfiniteQuery({
    queryKey: ["deals", challengeId, wanted, role],
    initialPageParam: undefined as number | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api().GET("/challenges/{challenge_id}/deals", {
          params: {
            path: { challenge_id: challengeId },
            query: { limit: 25, cursor: pageParam, symbol: wanted || undefined, role: role || undefined },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 15_000,
  });
  const rows = deals.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section>
      <h2>Trade history</h2>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Symbol
          <input value={symbol} onChange={(e) => setSymbol(e.target.value)} placeholder="all, or e.g. EURUSD" pattern="[A-Za-z0-9._#+-]*" />
        </label>
        <label>
          Kind
          <select value={role} onChange={(e) => setRole(e.target.value as Role | "")}>
            <option value="">all</option>
            <option value="trade">trades</option>
            <option value="balance_operation">balance operations</option>
            <option value="system">system</option>
          </select>
        </label>
      </form>
      {deals.isPending && <Loading what="the deals" />}
      {deals.error && <ProblemView error={deals.error} />}
      <div className="overflow-auto" tabIndex={0} role="region" aria-label="scrollable table">
        <table className="striped">
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Symbol</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">Volume</th>
              <th scope="col" className="num">Price</th>
              <th scope="col" className="num">Profit ({currency})</th>
              <th scope="col" className="num">Commission</th>
              <th scope="col" className="num">Swap</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.ticket}>
                <td>{d.ticket}</td>
                <td>{when(d.time)}</td>
                <td>{d.symbol || "—"}</td>
                <td>
                  {d.action} {d.entry}
                </td>
                <td className="num">{d.volume}</td>
                <td className="num">{d.price}</td>
                <td className="num">{money(d.profit)}</td>
                <td className="num">{money(d.commission)}</td>
                <td className="num">{money(d.swap)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {deals.isSuccess && rows.length === 0 && <p>No deal matches.</p>}
      <Pager hasMore={deals.hasNextPage} onMore={() => void deals.fetchNextPage()} busy={deals.isFetchingNextPage} />
    </section>
  );
}
