import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { Loading, ProblemView } from "../components/common";
import { when } from "../format";
import { useSession } from "../session";

type Release = components["schemas"]["NewsReleaseOut"];
type Impact = Release["impact"];

/** The form's time: a date and time in UTC ("2026-03-06T13:30"), sent with its offset. */
function utcInstant(local: string): string {
  return `${local}:00Z`;
}

function AddRelease() {
  const client = useQueryClient();
  const [at, setAt] = useState("");
  const [title, setTitle] = useState("");
  const [currencies, setCurrencies] = useState("");
  const [impact, setImpact] = useState<Impact>("high");
  const add = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST("/admin/news", {
          body: {
            releases: [
              {
                at: utcInstant(at),
                title,
                currencies: currencies.split(/[\s,]+/).filter(Boolean).map((c) => c.toUpperCase()),
                impact,
              },
            ],
          },
        }),
      ),
    onSuccess: () => {
      setTitle("");
      void client.invalidateQueries({ queryKey: ["news"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="List a release">
      <fieldset className="grid">
        <label>
          When (UTC)
          <input type="datetime-local" required value={at} onChange={(e) => setAt(e.target.value)} />
        </label>
        <label>
          Title
          <input required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} placeholder="US non-farm payrolls" />
        </label>
        <label>
          Currencies
          <input value={currencies} onChange={(e) => setCurrencies(e.target.value)} placeholder="USD" />
        </label>
        <label>
          Impact
          <select value={impact} onChange={(e) => setImpact(e.target.value as Impact)}>
            <option value="high">high</option>
            <option value="medium">medium</option>
            <option value="low">low</option>
          </select>
        </label>
      </fieldset>
      <button type="submit" disabled={add.isPending}>
        List the release
      </button>
      {add.data && <p role="status">{add.data.added ? "Listed." : "Listed already: kept as it was."}</p>}
      {add.error && <ProblemView error={add.error} />}
    </form>
  );
}

function Withdraw({ release }: { release: Release }) {
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(await api().DELETE("/admin/news/{release_id}", { params: { path: { release_id: release.id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["news"] }),
  });
  return (
    <>
      <button
        type="button"
        className="outline secondary"
        disabled={remove.isPending}
        onClick={() => window.confirm(`Withdraw "${release.title}" at ${when(release.at, "UTC")}?`) && remove.mutate()}
      >
        Withdraw
      </button>
      {remove.error && <ProblemView error={remove.error} />}
    </>
  );
}

/** The news calendar: every signed-in user sees the releases (a program may forbid trading around them);
 * an admin lists and withdraws them. */
export function News() {
  const session = useSession();
  const staff = session.isAdmin || session.isSupport;
  const news = useQuery({
    queryKey: ["news"],
    queryFn: async () => unwrap(await api().GET("/news")),
    refetchInterval: 60_000,
  });
  return (
    <>
      <h1>News calendar</h1>
      <p>
        Releases from a day ago to two weeks ahead. A program with a news blackout restricts any trade opened or closed
        within its minutes of a listed release.
      </p>
      {session.canChange && <AddRelease />}
      {news.isPending && <Loading what="the calendar" />}
      {news.error && <ProblemView error={news.error} />}
      {news.data?.items.length === 0 && <p>No release listed.</p>}
      {!!news.data?.items.length && (
        <table>
          <thead>
            <tr>
              <th>When (UTC)</th>
              <th>Release</th>
              <th>Currencies</th>
              <th>Impact</th>
              {staff && <th>Listed by</th>}
              {session.canChange && <th />}
            </tr>
          </thead>
          <tbody>
            {news.data.items.map((r) => (
              <tr key={r.id} data-testid={`release-${r.id}`}>
                <td>{when(r.at, "UTC")}</td>
                <td>{r.title}</td>
                <td>{r.currencies.join(", ") || "all"}</td>
                <td>{r.impact}</td>
                {staff && <td>{r.added_by}</td>}
                {session.canChange && (
                  <td>
                    <Withdraw release={r} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
