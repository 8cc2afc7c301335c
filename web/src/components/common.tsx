import { useEffect, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { duration } from "../format";

export function Loading({ what }: { what: string }) {
  return <p aria-busy="true">Loading {what}…</p>;
}

export function ProblemView({ error }: { error: unknown }) {
  if (error instanceof ApiError) {
    const p = error.problem;
    return (
      <article className="problem" role="alert">
        <strong>{p.title}</strong> ({p.status}){p.detail ? `: ${p.detail}` : ""}
        {p.denials && (
          <ul>
            {p.denials.map((d) => (
              <li key={d.code}>
                <code>{d.code}</code>: {d.message}
              </li>
            ))}
          </ul>
        )}
      </article>
    );
  }
  return (
    <article className="problem" role="alert">
      {String(error)}
    </article>
  );
}

export function Stat({ label, value, note, tone }: { label: string; value: ReactNode; note?: ReactNode; tone?: string }) {
  const name = (label.split(" · ")[0] ?? label).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-$/, "");
  return (
    <div className={`stat ${tone ?? ""}`} data-testid={`stat-${name}`}>
      <small>{label}</small>
      <strong>{value}</strong>
      {note && <small className="note">{note}</small>}
    </div>
  );
}

/** Seconds counting down from `seconds` as of `since` (ms), ticking every second. */
export function Countdown({ seconds, since }: { seconds: number; since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return <span className="countdown">{duration(seconds - (now - since) / 1000)}</span>;
}

export function Pager({ hasMore, onMore, busy }: { hasMore: boolean; onMore: () => void; busy?: boolean }) {
  if (!hasMore) return null;
  return (
    <button type="button" className="secondary" onClick={onMore} aria-busy={busy}>
      More
    </button>
  );
}

/** A modal asking why (every action is audited with a reason), with optional extra fields. */
export function ReasonDialog({
  title,
  open,
  onCancel,
  onConfirm,
  children,
  confirmLabel = "Confirm",
  minLength = 3,
  label = "Reason (kept in the audit log)",
  required = true,
}: {
  title: string;
  open: boolean;
  onCancel: () => void;
  onConfirm: (reason: string) => void;
  children?: ReactNode;
  confirmLabel?: string;
  minLength?: number;
  label?: string;
  required?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const ok = !required || reason.trim().length >= minLength;
  return (
    <dialog ref={dialog} onClose={onCancel} aria-labelledby="dialog-title">
      <article>
        <h3 id="dialog-title">{title}</h3>
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            if (ok) onConfirm(reason.trim());
          }}
        >
          {children}
          <label>
            {label}
            <textarea value={reason} onChange={(e) => setReason(e.target.value)} required={required} minLength={minLength} />
          </label>
          <footer>
            <button type="button" className="secondary" onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" disabled={!ok}>
              {confirmLabel}
            </button>
          </footer>
        </form>
      </article>
    </dialog>
  );
}
