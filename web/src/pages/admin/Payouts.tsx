import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { Payout } from "../../api/types";
import { Loading, ProblemView, ReasonDialog } from "../../components/common";
import { PayoutStages } from "../../components/PayoutStages";
import { money, words } from "../../format";
import { link } from "../../router";
import { useSession } from "../../session";

type Status = "requested" | "awaiting_approval" | "approved" | "withdrawing" | "manual_review" | "paid" | "rejected" | "failed";
const REJECTION_CODES = ["rule_violation", "prohibited_strategy", "kyc_incomplete", "balance_mismatch", "duplicate_request", "other"] as const;
type RejectionCode = (typeof REJECTION_CODES)[number];

function BalanceCheck({ payout }: { payout: Payout }) {
  const check = payout.details.balance_check as Record<string, string | boolean> | undefined;
  if (!check) return <p><small>Balance check: not made yet.</small></p>;
  return (
    <p className={check.ok ? "" : "flagged"}>
      <small>
        Balance check: {check.ok ? "✔ the deals explain the balance" : "✖ the deals do not explain the balance"} (balance{" "}
        {money(String(check.balance))}, stage start {money(String(check.stage_start))}, paid before {money(String(check.paid_before))}, expected
        profit {money(String(check.expected))}, this payout {money(String(check.profit))}, difference {money(String(check.difference))})
      </small>
    </p>
  );
}

function PayoutCard({ payout }: { payout: Payout }) {
  const session = useSession();
  const client = useQueryClient();
  const [dialog, setDialog] = useState<"approve" | "reject" | null>(null);
  const [code, setCode] = useState<RejectionCode>("other");
  const done = () => {
    setDialog(null);
    void client.invalidateQueries({ queryKey: ["admin-payouts"] });
  };
  const approve = useMutation({
    mutationFn: async (note: string) =>
      unwrap(await api().POST("/admin/payouts/{payout_id}/approve", { params: { path: { payout_id: payout.id } }, body: { note: note || null } })),
    onSuccess: done,
  });
  const reject = useMutation({
    mutationFn: async (reason: string) =>
      unwrap(await api().POST("/admin/payouts/{payout_id}/reject", { params: { path: { payout_id: payout.id } }, body: { code, reason } })),
    onSuccess: done,
  });
  const flagged = payout.flags.length > 0;
  const deciding = payout.status === "requested" || payout.status === "awaiting_approval";
  return (
    <article data-testid={`admin-payout-${payout.id}`} className={flagged ? "flagged" : ""}>
      <header>
        <strong>Payout {payout.id}</strong> · <a href={link(`/admin/challenges/${payout.challenge_id}`)}>challenge #{payout.challenge_id}</a> ·{" "}
        <span className={`badge ${payout.status}`} data-testid="payout-status">{words(payout.status)}</span>
      </header>
      <p>
        Profit {money(payout.profit, payout.currency)} · withdrawn {money(payout.amount)} · trader's share {money(payout.trader_share)} (
        {payout.split_pct}%{payout.fee_refund !== "0" ? `, fee refund ${money(payout.fee_refund)}` : ""}) · {payout.deals.length} deals:{" "}
        <small>{payout.deals.join(", ")}</small>
      </p>
      <BalanceCheck payout={payout} />
      {flagged && (
        <p role="alert" className="flagged">
          Flagged: {payout.flags.map((f) => String(f.code)).join(", ")}. Approving needs a note.
        </p>
      )}
      {payout.approvals.length > 0 && <p><small>Approved so far by {payout.approvals.map((a) => String(a.email ?? a.sub)).join(", ")}</small></p>}
      <PayoutStages payout={payout} />
      {deciding && (
        <div className="actions">
          <button type="button" disabled={!session.canChange} onClick={() => setDialog("approve")}>
            Approve
          </button>
          <button type="button" className="secondary" disabled={!session.canChange} onClick={() => setDialog("reject")}>
            Reject
          </button>
        </div>
      )}
      {(approve.error || reject.error) && <ProblemView error={approve.error ?? reject.error} />}
      <ReasonDialog
        title={`Approve payout ${payout.id}`}
        open={dialog === "approve"}
        onCancel={() => setDialog(null)}
        onConfirm={(note) => approve.mutate(note)}
        confirmLabel="Approve"
        label={flagged ? "Note (required: the payout is flagged)" : "Note (optional)"}
        required={flagged}
      />
      <ReasonDialog
        title={`Reject payout ${payout.id}`}
        open={dialog === "reject"}
        onCancel={() => setDialog(null)}
        onConfirm={(reason) => reject.mutate(reason)}
        confirmLabel="Reject"
        label="Reason the trader is shown, with its numbers"
      >
        <label>
          Reason code
          <select value={code} onChange={(e) => setCode(e.target.value as RejectionCode)}>
            {REJECTION_CODES.map((c) => (
              <option key={c} value={c}>
                {words(c)}
              </option>
            ))}
          </select>
        </label>
      </ReasonDialog>
    </article>
  );
}

export function Payouts() {
  const [status, setStatus] = useState<Status | "">("awaiting_approval");
  const payouts = useQuery({
    queryKey: ["admin-payouts", status],
    queryFn: async () => unwrap(await api().GET("/admin/payouts", { params: { query: { status: status || undefined, limit: 100 } } })),
    refetchInterval: 5_000,
  });
  return (
    <>
      <h1>Payouts</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as Status | "")}>
            <option value="awaiting_approval">awaiting approval</option>
            <option value="">all</option>
            {(["requested", "approved", "withdrawing", "manual_review", "paid", "rejected", "failed"] as const).map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </label>
      </form>
      {payouts.isPending && <Loading what="the payouts" />}
      {payouts.error && <ProblemView error={payouts.error} />}
      {payouts.data?.items.length === 0 && <p>None.</p>}
      {payouts.data?.items.map((p) => <PayoutCard key={p.id} payout={p} />)}
    </>
  );
}
