import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Loading, ProblemView, Stat } from "../../components/common";
import { money, share } from "../../format";

export function PerformancePanel({ challengeId, currency }: { challengeId: number; currency: string }) {
  const perf = useQuery({
    queryKey: ["performance", challengeId],
    queryFn: async () =>
      unwrap(await api().GET("/challenges/{challenge_id}/performance", { params: { path: { challenge_id: challengeId } } })),
    refetchInterval: 15_000,
  });
  return (
    <section>
      <h2>Performance this phase</h2>
      {perf.isPending && <Loading what="the metrics" />}
      {perf.error && <ProblemView error={perf.error} />}
      {perf.data && (
        <div className="stats" data-testid="performance">
          <Stat label="Net result" value={money(perf.data.net, currency)} note={`${perf.data.closed_positions} positions closed, ${perf.data.open_positions} open`} />
          <Stat label="Win rate" value={share(perf.data.win_rate)} note={`${perf.data.wins} won · ${perf.data.losses} lost`} />
          <Stat label="Profit factor" value={perf.data.profit_factor ?? "—"} note="gross profit / gross loss" />
          <Stat label="Average win / loss" value={`${money(perf.data.average_win)} / ${money(perf.data.average_loss)}`} />
          <Stat
            label="Best / worst day"
            value={`${money(perf.data.best_day?.result)} / ${money(perf.data.worst_day?.result)}`}
            note={`${perf.data.best_day?.day ?? "—"} / ${perf.data.worst_day?.day ?? "—"}`}
          />
          <Stat label="Consistency" value={share(perf.data.consistency_share)} note="the best day's share of the net result" />
          <Stat label="Costs" value={money(perf.data.commission)} note={`commission · swap ${money(perf.data.swap)}`} />
        </div>
      )}
    </section>
  );
}
