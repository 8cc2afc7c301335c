import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { Loading, Pager, ProblemView } from "../../components/common";
import { when } from "../../format";

export function Audit() {
  const [challenge, setChallenge] = useState("");
  const id = /^\d+$/.test(challenge.trim()) ? Number(challenge.trim()) : undefined;
  const rows = useInfiniteQuery({
    queryKey: ["audit", id],
    initialPageParam: undefined as number | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(await api().GET("/admin/audit", { params: { query: { limit: 50, cursor: pageParam, challenge_id: id } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 10_000,
  });
  const items = rows.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <h1>Audit log</h1>
      <p>Append-only and hash-chained: every row seals the one before it (<code>propfirm audit verify</code>).</p>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Challenge id
          <input inputMode="numeric" value={challenge} onChange={(e) => setChallenge(e.target.value)} placeholder="any" />
        </label>
      </form>
      {rows.isPending && <Loading what="the audit log" />}
      {rows.error && <ProblemView error={rows.error} />}
      <div className="overflow-auto" tabIndex={0} role="region" aria-label="scrollable table">
        <table className="striped audit">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Challenge</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.id} id={`audit-${a.id}`}>
                <td>{a.id}</td>
                <td>{when(a.created_at)}</td>
                <td>
                  <code>{a.kind}</code>
                </td>
                <td>{a.challenge_id ?? "—"}</td>
                <td>
                  <small className="payload">{JSON.stringify(a.payload)}</small>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager hasMore={rows.hasNextPage} onMore={() => void rows.fetchNextPage()} busy={rows.isFetchingNextPage} />
    </>
  );
}
