import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { api, unwrap } from "../../api/client";
import type { ChallengeView, LimitLeft } from "../../api/types";
import { Countdown, Loading, ProblemView, Stat } from "../../components/common";
import { money, pct, when, words } from "../../format";
import { Decisions } from "./Decisions";
import { PayoutsPanel } from "./Payouts";
import { PerformancePanel } from "./Performance";
import { Trades } from "./Trades";

const REFRESH = 5_000; // the page follows the account without reloading
// the charting library loads with the first chart, not with every dashboard page
const EquityChart = lazy(() => import("../../components/EquityChart").then((m) => ({ default: m.EquityChart })));

function tone(limit: LimitLeft | null | undefined): string {
  const left = limit?.left_share ? Number(limit.left_share) : 1;
  return left <= 0.1 ? "danger" : left <= 0.3 ? "warning" : "";
}

function LimitStat({ label, limit, binding, currency }: { label: string; limit: LimitLeft | null | undefined; binding: boolean; currency: string }) {
  if (!limit) return <Stat label={label} value="no such rule" />;
  const level = tone(limit);
  return (
    <Stat
      label={`${label}${binding ? " · binding" : ""}`}
      tone={`${level} ${binding ? "binding" : ""}`}
      value={`${money(limit.left, currency)} left`}
      note={
        <>
          {pct(limit.left_pct)} of the account · floor {money(limit.floor)}
          {limit.paused ? " · paused until the reset" : ""}
          {level && <span role="status"> · {level === "danger" ? "very near the floor" : "nearing the floor"}</span>}
          <meter min={0} max={1} low={0.3} high={0.6} optimum={1} value={Number(limit.left_share ?? 1)} aria-label={`${label} left`} />
        </>
      }
    />
  );
}

export function Glance({ view }: { view: ChallengeView }) {
  const currency = view.program.currency;
  const p = view.progress;
  const daily = view.limits?.daily_loss;
  const max = view.limits?.max_loss;
  const binding = daily && max ? (Number(daily.left) <= Number(max.left) ? "daily" : "max") : daily ? "daily" : "max";
  // the countdown runs from when this answer arrived (each refresh brings a new seconds_to_reset)
  const fetchedAt = useMemo(() => Date.now(), [view.day.seconds_to_reset]);
  return (
    <div className="stats">
      <Stat label="Equity" value={money(view.live?.equity, currency)} note={`balance ${money(view.live?.balance)} · floating ${money(view.live?.floating)}`} />
      {p?.target_balance && (
        <Stat
          label="Progress to the target"
          value={pct(p.progress_pct, 1)}
          note={
            <>
              target {money(p.target_balance)} · {money(p.to_target)} to go
              {Number(p.uncounted_profit) > 0 ? ` · ${money(p.uncounted_profit)} above the daily cap not counted` : ""}
              <progress max={100} value={Math.max(0, Math.min(100, Number(p.progress_pct ?? 0)))} aria-label="progress to the target" />
            </>
          }
        />
      )}
      <LimitStat label="Daily loss" limit={daily} binding={binding === "daily"} currency={currency} />
      <LimitStat label="Maximum loss" limit={max} binding={binding === "max"} currency={currency} />
      <Stat
        label="Next reset"
        value={<Countdown seconds={view.day.seconds_to_reset} since={fetchedAt} />}
        note={
          <>
            at {when(view.day.next_reset_at, view.day.zone)} ({view.day.zone})
            {view.tomorrow && (
              <>
                <br />
                tomorrow's floor {money(view.tomorrow.daily_floor ?? view.tomorrow.max_loss_floor)} ({view.tomorrow.assumes}); room{" "}
                {money(view.tomorrow.headroom)}
                {view.tomorrow.breached_at_reset ? " · the open positions would breach it at the reset" : ""}
              </>
            )}
          </>
        }
      />
      {p && (
        <Stat
          label="Trading days"
          value={`${p.trading_days} / ${p.min_trading_days}`}
          note={p.days_left !== null ? `${p.days_left} days left (deadline ${when(p.deadline)})` : "no time limit"}
        />
      )}
      {p && p.min_profitable_days > 0 && (
        <Stat label="Profitable days" value={`${p.profitable_days} / ${p.min_profitable_days}`} note="days closing with enough profit" />
      )}
    </div>
  );
}

export function ChallengePage({ id }: { id: number }) {
  const view = useQuery({
    queryKey: ["challenge", id],
    queryFn: async () => unwrap(await api().GET("/challenges/{challenge_id}", { params: { path: { challenge_id: id } } })),
    refetchInterval: REFRESH,
  });
  const transitions = useQuery({
    queryKey: ["transitions", id],
    queryFn: async () =>
      unwrap(await api().GET("/challenges/{challenge_id}/transitions", { params: { path: { challenge_id: id }, query: { limit: 500 } } })),
    refetchInterval: REFRESH,
  });
  const since = view.data?.progress?.phase_started_at;
  const equity = useQuery({
    queryKey: ["equity", id, since],
    queryFn: async () =>
      unwrap(
        await api().GET("/challenges/{challenge_id}/equity", {
          params: { path: { challenge_id: id }, query: since ? { from: since } : {} },
        }),
      ),
    enabled: view.isSuccess,
    refetchInterval: 15_000,
  });
  const days = useQuery({
    queryKey: ["days", id],
    queryFn: async () => unwrap(await api().GET("/challenges/{challenge_id}/days", { params: { path: { challenge_id: id }, query: { limit: 500 } } })),
    refetchInterval: 30_000,
  });
  if (view.isPending) return <Loading what="the challenge" />;
  if (view.error) return <ProblemView error={view.error} />;
  const v = view.data;
  return (
    <>
      <hgroup>
        <h1>
          {v.program.id} <small>v{v.program.version}</small> · #{v.id}
        </h1>
        <p>
          <span className={`badge ${v.status}`} data-testid="status">{words(v.status)}</span> {v.phase_name ?? `phase ${v.phase + 1}`} · account size{" "}
          {money(v.program.account_size, v.program.currency)}
          {v.login !== null && ` · MT5 login ${v.login} on ${v.server}`}
          {v.live?.time && ` · as of ${when(v.live.time)}`}
          {v.coverage?.judged_at && (
            <small data-testid="coverage">
              {" "}· rules judged on MT5 data of {when(v.coverage.judged_at)}
              {v.coverage.behind_seconds ? ` (${v.coverage.behind_seconds} s before the latest read)` : ""}
            </small>
          )}
        </p>
      </hgroup>
      <Glance view={v} />
      <section>
        <h2>Equity</h2>
        {equity.data && days.data && transitions.data ? (
          <Suspense fallback={<Loading what="the chart" />}>
          <EquityChart
            points={equity.data.points}
            days={days.data.items}
            transitions={transitions.data.items}
            maxFloor={v.limits?.max_loss ? v.floors?.max_loss : null}
            dailyFloor={v.limits?.daily_loss ? v.floors?.daily : null}
          />
          </Suspense>
        ) : (
          <Loading what="the equity curve" />
        )}
      </section>
      <section>
        <h2>Rules in effect</h2>
        <ul className="rules">
          {(v.rules_text ?? []).map((sentence) => (
            <li key={sentence}>{sentence}</li>
          ))}
        </ul>
      </section>
      <Decisions challengeId={id} transitions={transitions.data?.items ?? []} />
      <PerformancePanel challengeId={id} currency={v.program.currency} />
      <Trades challengeId={id} currency={v.program.currency} />
      <PayoutsPanel challengeId={id} funded={v.phase_name === "funded" || (v.rules?.funded as boolean | undefined) === true} />
    </>
  );
}
