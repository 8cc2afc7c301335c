import { useState } from "react";
import { ReasonDialog } from "./common";

export type Decision = "dismiss" | "confirm" | "fail";

/** Dismiss / Confirm / Confirm and fail for an open finding (abuse, a blind interval's), each asking what
 * was checked; `decide` sends it, and the dialog closes once it succeeded (an error stays on the page). */
export function FindingDecision({
  name,
  failLabel,
  failTitle,
  canChange,
  decide,
}: {
  name: string;
  failLabel: string;
  failTitle: string;
  canChange: boolean;
  decide: (action: Decision, note: string) => Promise<unknown>;
}) {
  const [dialog, setDialog] = useState<Decision | null>(null);
  const title = dialog === "dismiss" ? `Dismiss ${name}` : dialog === "fail" ? failTitle : `Confirm ${name}`;
  return (
    <>
      <div className="actions">
        <button type="button" className="secondary" disabled={!canChange} onClick={() => setDialog("dismiss")}>
          Dismiss
        </button>
        <button type="button" disabled={!canChange} onClick={() => setDialog("confirm")}>
          Confirm
        </button>
        <button type="button" className="contrast" disabled={!canChange} onClick={() => setDialog("fail")}>
          {failLabel}
        </button>
      </div>
      <ReasonDialog
        title={title}
        open={dialog !== null}
        onCancel={() => setDialog(null)}
        onConfirm={(note) => dialog && decide(dialog, note).then(() => setDialog(null), () => undefined)}
        confirmLabel={dialog === "dismiss" ? "Dismiss" : dialog === "fail" ? "Confirm and fail" : "Confirm"}
        label="What was checked (kept in the audit log)"
      />
    </>
  );
}
