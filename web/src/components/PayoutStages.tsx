import type { Payout } from "../api/types";
import { when, words } from "../format";

const STAGES: [keyof Payout, string][] = [
  ["requested_at", "requested"],
  ["awaiting_approval_at", "awaiting approval"],
  ["approved_at", "approved"],
  ["rejected_at", "rejected"],
  ["withdrawing_at", "withdrawing"],
  ["review_at", "manual review"],
  ["paid_at", "paid"],
  ["failed_at", "failed"],
];

export function PayoutStages({ payout }: { payout: Payout }) {
  const reached = STAGES.filter(([key]) => payout[key]);
  return (
    <ol className="stages" aria-label={`payout ${payout.id} stages`}>
      {reached.map(([key, label]) => (
        <li key={key}>
          <strong>{label}</strong> <small>{when(payout[key] as string)}</small>
        </li>
      ))}
      {payout.reason && (
        <li>
          <strong>reason</strong> <small>{words(payout.reason)}</small>
        </li>
      )}
    </ol>
  );
}
