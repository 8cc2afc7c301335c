import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { parse as parseYaml } from "yaml";
import { api, ApiError, unwrap } from "../../api/client";
import type { ProgramDefinition, ProgramVersion } from "../../api/types";
import { Loading, ProblemView } from "../../components/common";
import { when } from "../../format";
import { link } from "../../router";
import { useSession } from "../../session";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Path = (string | number)[];

const key = (path: Path) => path.join(".");

function setAt(value: Json, path: Path, leaf: Json): Json {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = setAt(copy[head as number] ?? null, rest, leaf);
    return copy;
  }
  const object = (value ?? {}) as { [k: string]: Json };
  return { ...object, [head as string]: setAt(object[head as string] ?? null, rest, leaf) };
}

/** Every scalar of the definition as a labelled input, its server error (if any) beside it. */
function Fields({ value, path, errors, onChange }: { value: Json; path: Path; errors: Map<string, string>; onChange: (p: Path, v: Json) => void }) {
  if (Array.isArray(value) || (value !== null && typeof value === "object")) {
    const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const scalars = entries.filter(([, v]) => v === null || typeof v !== "object");
    const nested = entries.filter(([, v]) => v !== null && typeof v === "object");
    return (
      <fieldset>
        {path.length > 0 && <legend>{key(path)}</legend>}
        <div className="grid-fields">
          {scalars.map(([name, v]) => {
            const p = [...path, name];
            const error = errors.get(key(p));
            const id = `field-${key(p)}`;
            return (
              <label key={String(name)} htmlFor={id}>
                {String(name)}
                {typeof v === "boolean" ? (
                  <input id={id} type="checkbox" role="switch" checked={v} onChange={(e) => onChange(p, e.target.checked)} aria-invalid={error ? true : undefined} />
                ) : (
                  <input
                    id={id}
                    value={v === null ? "" : String(v)}
                    onChange={(e) => onChange(p, typeof v === "number" && e.target.value !== "" && !Number.isNaN(Number(e.target.value)) ? Number(e.target.value) : e.target.value)}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={error ? `${id}-error` : undefined}
                  />
                )}
                {error && (
                  <small id={`${id}-error`} className="field-error">
                    {error}
                  </small>
                )}
              </label>
            );
          })}
        </div>
        {nested.map(([name, v]) => (
          <Fields key={String(name)} value={v} path={[...path, name]} errors={errors} onChange={onChange} />
        ))}
      </fieldset>
    );
  }
  return null;
}

function NewVersion({ latest }: { latest: ProgramVersion }) {
  const session = useSession();
  const client = useQueryClient();
  const [draft, setDraft] = useState<Json>(latest.definition as Json);
  const [fileError, setFileError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (definition: Json) =>
      unwrap(
        await api().POST("/admin/programs/{program_id}/versions", {
          params: { path: { program_id: latest.id } },
          body: definition as unknown as ProgramDefinition, // the server validates it, field by field
        }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["programs"] }),
  });
  const errors = useMemo(() => {
    const found = new Map<string, string>();
    if (save.error instanceof ApiError) {
      for (const e of save.error.problem.errors ?? []) found.set(key(e.loc.slice(1).map((p) => (/^\d+$/.test(String(p)) ? Number(p) : p))), e.message);
    }
    return found;
  }, [save.error]);
  const fromFile = async (file: File) => {
    try {
      const text = await file.text();
      setDraft((file.name.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as Json);
      setFileError(null);
    } catch (e) {
      setFileError(`${file.name}: ${String(e)}`);
    }
  };
  return (
    <section>
      <h2>New version</h2>
      <p>Challenges keep the version they were sold with; a new version applies to new purchases.</p>
      <label>
        From a file (YAML or JSON, as <code>propfirm programs load</code> takes)
        <input type="file" accept=".yaml,.yml,.json" disabled={!session.canChange} onChange={(e) => e.target.files?.[0] && void fromFile(e.target.files[0])} />
      </label>
      {fileError && <p role="alert">{fileError}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(draft);
        }}
      >
        <Fields value={draft} path={[]} errors={errors} onChange={(p, v) => setDraft((d) => setAt(d, p, v))} />
        <button type="submit" disabled={!session.canChange} aria-busy={save.isPending}>
          Save as a new version
        </button>
      </form>
      {save.error && <ProblemView error={save.error} />}
      {save.data && (
        <p role="status">
          {save.data.added ? `Version ${save.data.version} added.` : `Unchanged: this is version ${save.data.version} already.`}
        </p>
      )}
    </section>
  );
}

export function Programs({ id }: { id?: string }) {
  const programs = useQuery({ queryKey: ["programs"], queryFn: async () => unwrap(await api().GET("/admin/programs")) });
  if (programs.isPending) return <Loading what="the programs" />;
  if (programs.error) return <ProblemView error={programs.error} />;
  const byId = new Map<string, ProgramVersion[]>();
  for (const p of programs.data.items) byId.set(p.id, [...(byId.get(p.id) ?? []), p]);
  if (id === undefined) {
    return (
      <>
        <h1>Programs</h1>
        <table className="striped">
          <thead>
            <tr>
              <th scope="col">Program</th>
              <th scope="col">Versions</th>
              <th scope="col">Latest loaded</th>
            </tr>
          </thead>
          <tbody>
            {[...byId.entries()].map(([pid, versions]) => {
              const latest = versions.reduce((a, b) => (a.version > b.version ? a : b));
              return (
                <tr key={pid}>
                  <td>
                    <a href={link(`/admin/programs/${pid}`)}>{pid}</a>
                  </td>
                  <td>{versions.length}</td>
                  <td>{when(latest.loaded_at)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </>
    );
  }
  const versions = (byId.get(id) ?? []).sort((a, b) => b.version - a.version);
  const latest = versions[0];
  if (!latest) return <p>No program {id}.</p>;
  return (
    <>
      <h1>
        {id} <small>v{latest.version}</small>
      </h1>
      <details>
        <summary>Versions and their definitions</summary>
        {versions.map((v) => (
          <article key={v.version}>
            <header>
              v{v.version} · loaded {when(v.loaded_at)} from {v.source ?? "—"} · <code>{v.content_hash.slice(0, 12)}</code>
            </header>
            <pre>{JSON.stringify(v.definition, null, 2)}</pre>
          </article>
        ))}
      </details>
      <NewVersion key={latest.version} latest={latest} />
    </>
  );
}
