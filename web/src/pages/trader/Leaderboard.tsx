import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { Loading, ProblemView } from "../../components/common";

type Board = "funded" | "challenge";
type Sort = "return" | "consistency" | "drawdown";

/** The public leaderboard (no personal data), and the trader's opt-in under a display name. */
export function Leaderboard() {
  const [board, setBoard] = useState<Board>("funded");
  const [sort, setSort] = useState<Sort>("return");
  const [name, setName] = useState("");
  const list = useQuery({
    queryKey: ["leaderboard", board, sort],
    queryFn: async () => unwrap(await api().GET("/leaderboard", { params: { query: { board, sort, days: 30, limit: 10 } } })),
    refetchInterval: 60_000,
  });
  const join = useMutation({
    mutationFn: async (display_name: string | null) => unwrap(await api().PUT("/me/leaderboard", { body: { display_name } })),
  });
  return (
    <section aria-labelledby="leaderboard-title">
      <h2 id="leaderboard-title">Leaderboard, last 30 days</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Board
          <select value={board} onChange={(e) => setBoard(e.target.value as Board)}>
            <option value="funded">funded</option>
            <option value="challenge">challenges</option>
          </select>
        </label>
        <label>
          Ranked by
          <select value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
            <option value="return">return</option>
            <option value="consistency">winning days</option>
            <option value="drawdown">smallest drawdown</option>
          </select>
        </label>
      </form>
      {list.isPending && <Loading what="the leaderboard" />}
      {list.error && <ProblemView error={list.error} />}
      {list.data && list.data.items.length === 0 && <p>Nobody listed yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <div className="overflow-auto" tabIndex={0} role="region" aria-label="leaderboard">
          <table className="striped">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Name</th>
                <th scope="col">Program</th>
                <th scope="col">Return</th>
                <th scope="col">Winning days</th>
                <th scope="col">Drawdown</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <tr key={`${e.rank}-${e.name}`}>
                  <td>{e.rank}</td>
                  <td>{e.name}</td>
                  <td>{e.program}</td>
                  <td>{e.return_pct}%</td>
                  <td>{e.winning_days_pct}%</td>
                  <td>{e.drawdown_pct}%</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          join.mutate(name.trim() || null);
        }}
      >
        <label>
          Be listed as (leave empty to leave)
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={24} placeholder="a display name, not your email" />
        </label>
        <button type="submit" className="secondary">
          Save
        </button>
      </form>
      {join.isSuccess && <p role="status">{join.data.display_name ? `Listed as ${join.data.display_name}.` : "Not listed."}</p>}
      {join.error && <ProblemView error={join.error} />}
    </section>
  );
}
