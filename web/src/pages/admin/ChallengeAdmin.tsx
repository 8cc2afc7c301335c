import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { Transition } from "../../api/types";
import { Loading, ProblemView, ReasonDialog } from "../../components/common";
import { money, when, words } from "../../format";
import { useSession } from "../../session";
import { Glance } from "../trader/Challenge";

type Action = "fail" | "pass" | "reset" | "close-all" | "disable" | "enable" | "move-group";
const ACTIONS: [Action, string][] = [
  ["close-all", "Close all positions"],
  ["disable", "Disable trading"],
  ["enable", "Enable trading"],
  ["move-group", "Move group"],
  ["reset", "Reset the phase"],
  ["pass", "Pass the phase"],
  ["fail", "Fail"],
];

function AdminExplanation({ transition }: { transition: Transition }) {
  const told = useQuery({
    queryKey: ["admin-explanation", transition.id],
    queryFn: async () =>
      unwrap(await api().GET("/admin/transitions/{transition_id}/explanation", { params: { path: { transition_id: transition.id } } })),
    staleTime: Infinity,
  });
  if (told.isPending) return <Loading what="the explanation" />;
  if (told.error) return <ProblemView error={told.error} />;
  return (
    <p>
      {told.data.text} <small>{told.data.same ? "(recomputed: the same)" : `(differs: ${told.data.differences.join("; ")})`}</small>
    </p>
  );
}

async function act(id: number, action: Action, reason: string, group: string) {
  const path = { challenge_id: id };
  switch (action) {
    case "fail":
      return unwrap(await api().POST("/admin/challenges/{challenge_id}/fail", { params: { path }, body: { reason } }));
    case "pass":
      return unwrap(await api().POST("/admin/challenges/{challenge_id}/pass", { params: { path }, body: { reason } }));
    case "reset":
      return unwrap(await api().POST("/admin/challenges/{challenge_id}/reset", { params: { path }, body: { reason } }));
    case "close-all":
      return unwrap(await api().POST("/admin/challenges/{challenge_id}/close-all", { params: { path }, body: { reason } }));
    case "disable":
      return unwrap(await api().POST("/admin/challenges/{challenge_id}/disable", { params: { path }, body: { reason } }));
    case "enable":
      return unwrap(await api().POST("/admin/challenges/{challenge_id}/enable", { params: { path }, body: { reason } }));
    case "move-group":
      return unwrap(await api().POST("/admin/challenges/{challenge_id}/move-group", { params: { path }, body: { reason, group } }));
  }
}

export function ChallengeAdmin({ id }: { id: number }) {
  const session = useSession();
  const client = useQueryClient();
  const [action, setAction] = useState<Action | null>(null);
  const [group, setGroup] = useState("");
  const [done, setDone] = useState<{ action: Action; at: number } | null>(null);
  const view = useQuery({
    queryKey: ["admin-challenge", id],
    queryFn: async () => unwrap(await api().GET("/admin/challenges/{challenge_id}", { params: { path: { challenge_id: id } } })),
    refetchInterval: 5_000,
  });
  const audit = useQuery({
    queryKey: ["audit-of", id],
    queryFn: async () => unwrap(await api().GET("/admin/audit", { params: { query: { challenge_id: id, limit: 20 } } })),
    refetchInterval: 10_000,
  });
  const run = useMutation({
    mutationFn: async (reason: string) => act(id, action as Action, reason, group),
    onSuccess: () => {
      setDone({ action: action as Action, at: Date.now() });
      setAction(null);
      void client.invalidateQueries({ queryKey: ["admin-challenge", id] });
      void client.invalidateQueries({ queryKey: ["audit-of", id] });
    },
  });
  if (view.isPending) return <Loading what="the challenge" />;
  if (view.error) return <ProblemView error={view.error} />;
  const v = view.data as typeof view.data & {
    transitions_list?: Transition[];
    commands?: Record<string, unknown>[];
    gap_findings?: components["schemas"]["GapFindingOut"][];
  };
  const latestAudit = audit.data?.items[0];
  return (
    <>
      <hgroup>
        <h1>
          Challenge #{v.id} <small>{v.trader_email}</small>
        </h1>
        <p>
          <span className={`badge ${v.status}`} data-testid="status">{words(v.status)}</span> {v.program.id} v{v.program.version} ·{" "}
          {v.phase_name} · login {v.login ?? "—"} on {v.server}
        </p>
      </hgroup>
      <Glance view={v} />
      <section>
        <h2>Actions</h2>
        {!session.canChange && <p>Support reads; only an admin acts.</p>}
        <div className="actions">
          {ACTIONS.map(([name, label]) => (
            <button
              key={name}
              type="button"
              className={name === "fail" ? "danger" : "secondary"}
              disabled={!session.canChange}
              onClick={() => setAction(name)}
            >
              {label}
            </button>
          ))}
        </div>
        {run.error && <ProblemView error={run.error} />}
        {done && latestAudit && (
          <article role="status" data-testid="audit-row">
            <strong>{words(done.action)}</strong> recorded: audit row #{latestAudit.id} <code>{latestAudit.kind}</code> at{" "}
            {when(latestAudit.created_at)}
            <br />
            <small className="payload">{JSON.stringify(latestAudit.payload)}</small>
          </article>
        )}
        <ReasonDialog
          title={action ? `${ACTIONS.find(([n]) => n === action)?.[1]} on #${id}` : ""}
          open={action !== null}
          onCancel={() => setAction(null)}
          onConfirm={(reason) => run.mutate(reason)}
        >
          {action === "move-group" && (
            <label>
              MT5 group
              <input value={group} onChange={(e) => setGroup(e.target.value)} required placeholder="challenge\review" />
            </label>
          )}
        </ReasonDialog>
      </section>
      <section>
        <h2>Decisions</h2>
        {(v.transitions_list ?? []).length === 0 && <p>None yet.</p>}
        {[...(v.transitions_list ?? [])].reverse().map((t) => (
          <details key={t.id}>
            <summary>
              <span className={`badge ${t.decision}`}>{words(t.decision)}</span> {words(t.reason)} · equity {money(t.equity)} · {when(t.decided_at)}
            </summary>
            <AdminExplanation transition={t} />
          </details>
        ))}
      </section>
      {!!v.gap_findings?.length && (
        <section>
          <h2>Blind intervals</h2>
          <ul aria-label="gap findings">
            {v.gap_findings.map((g) => (
              <li key={g.id}>
                <a href={`#/admin/gaps`}>Gap finding {g.id}</a>: {g.outcome} while the poller was blind from {when(g.blind_from)} to{" "}
                {when(g.blind_to)} ({g.cause}) · <span className={`badge ${g.status}`}>{g.status}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h2>Commands</h2>
        <ul>
          {(v.commands ?? []).map((c) => (
            <li key={String(c.command_id)}>
              <code>{String(c.command_id)}</code> {String(c.kind)} · {String(c.status)}
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Audit</h2>
        <ul className="audit-list">
          {audit.data?.items.map((a) => (
            <li key={a.id}>
              #{a.id} {when(a.created_at)} <code>{a.kind}</code>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
