import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Loading, ProblemView } from "../../components/common";
import { when, words } from "../../format";
import { link } from "../../router";
import { Leaderboard } from "./Leaderboard";

export function MyChallenges() {
  const list = useQuery({
    queryKey: ["my-challenges"],
    queryFn: async () => unwrap(await api().GET("/challenges", { params: { query: { limit: 100 } } })),
    refetchInterval: 10_000,
  });
  if (list.isPending) return <Loading what="your challenges" />;
  if (list.error) return <ProblemView error={list.error} />;
  return (
    <section>
      <h1>My challenges</h1>
      {list.data.items.length === 0 && <p>No challenge yet: one appears here when your purchase is recorded.</p>}
      <div className="cards">
        {list.data.items.map((c) => (
          <article key={c.id} className={`challenge-card status-${c.status}`}>
            <header>
              <a href={link(`/challenges/${c.id}`)}>
                <strong>
                  {c.program_id} #{c.id}
                </strong>
              </a>
            </header>
            <p>
              <span className={`badge ${c.status}`}>{words(c.status)}</span> phase {c.phase + 1}
              {c.login !== null ? ` · MT5 login ${c.login}` : " · account being created"}
            </p>
            <small>since {when(c.created_at)}</small>
          </article>
        ))}
      </div>
      <Leaderboard />
    </section>
  );
}
