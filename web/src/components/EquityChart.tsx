// The equity curve with the floors drawn on it and the decisions marked (TradingView's lightweight-charts).
// The only place amounts become numbers: a chart draws pixels, the tables keep the exact strings.
import { useEffect, useRef } from "react";
import {
  createChart,
  createSeriesMarkers,
  LineSeries,
  LineStyle,
  LineType,
  type SeriesMarker,
  type UTCTimestamp,
} from "lightweight-charts";
import type { Day, EquityPoint, Transition } from "../api/types";

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000) as UTCTimestamp;

function series(points: { time: UTCTimestamp; value: number }[]) {
  // strictly increasing times, the last value of a second kept
  const byTime = new Map<number, number>();
  for (const p of points) byTime.set(p.time, p.value);
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time: time as UTCTimestamp, value }));
}

export function EquityChart({
  points,
  days,
  transitions,
  maxFloor,
  dailyFloor,
}: {
  points: EquityPoint[];
  days: Day[];
  transitions: Transition[];
  maxFloor: string | null | undefined;
  dailyFloor: string | null | undefined;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = createChart(el, {
      height: 320,
      autoSize: true,
      layout: { background: { color: "transparent" }, textColor: "#373c44", attributionLogo: false },
      grid: { vertLines: { color: "#eef0f3" }, horzLines: { color: "#eef0f3" } },
      timeScale: { timeVisible: true, secondsVisible: false },
      rightPriceScale: { borderVisible: false },
    });
    const equity = chart.addSeries(LineSeries, { color: "#0172ad", lineWidth: 2, title: "equity" });
    const balance = chart.addSeries(LineSeries, { color: "#8891a4", lineWidth: 1, title: "balance" });
    const decisions = transitions.map((t) => ({ time: seconds(t.decided_at), value: Number(t.equity) }));
    equity.setData(series([...points.map((p) => ({ time: seconds(p.time), value: Number(p.equity) })), ...decisions]));
    balance.setData(series(points.map((p) => ({ time: seconds(p.time), value: Number(p.balance) }))));
    const floors = dailyFloor ? days.filter((d) => d.daily_floor !== null) : []; // no daily rule: no line
    if (floors.length) {
      const daily = chart.addSeries(LineSeries, {
        color: "#d93526",
        lineWidth: 1,
        lineType: LineType.WithSteps,
        lineStyle: LineStyle.Dashed,
        title: "daily floor",
      });
      const steps = floors.map((d) => ({ time: seconds(`${d.trading_day}T00:00:00Z`), value: Number(d.daily_floor) }));
      const last = points[points.length - 1];
      if (last && dailyFloor) steps.push({ time: seconds(last.time), value: Number(dailyFloor) });
      daily.setData(series(steps));
    } else if (dailyFloor) {
      equity.createPriceLine({ price: Number(dailyFloor), color: "#d93526", lineStyle: LineStyle.Dashed, title: "daily floor" });
    }
    if (maxFloor) {
      equity.createPriceLine({ price: Number(maxFloor), color: "#7f1d1d", lineStyle: LineStyle.Solid, title: "max loss floor" });
    }
    const markers: SeriesMarker<UTCTimestamp>[] = transitions
      .map((t) => ({
        time: seconds(t.decided_at),
        position: t.decision === "failed" || t.decision === "restricted" ? ("aboveBar" as const) : ("belowBar" as const),
        color: t.decision === "failed" ? "#d93526" : t.decision === "restricted" ? "#c27c0e" : "#2f8a3b",
        shape: t.decision === "failed" || t.decision === "restricted" ? ("arrowDown" as const) : ("arrowUp" as const),
        text: `${t.decision} (${t.reason})`,
      }))
      .sort((a, b) => a.time - b.time);
    createSeriesMarkers(equity, markers);
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [points, days, transitions, maxFloor, dailyFloor]);
  return (
    <figure>
      <div ref={box} className="chart" role="img" aria-label="Equity and balance over time, with the loss floors and the decisions" />
      <figcaption>
        <span className="key equity">equity</span> <span className="key balance">balance</span>{" "}
        <span className="key daily">daily floor</span> <span className="key max">maximum-loss floor</span>; arrows mark the decisions.
      </figcaption>
    </figure>
  );
}
