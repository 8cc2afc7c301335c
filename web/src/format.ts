// Money arrives as decimal strings and is shown as such: grouped, at least two decimals, never rounded
// through a float. Charts alone turn amounts into numbers (a pixel needs no cent).

export function money(value: string | null | undefined, currency?: string): string {
  if (value === null || value === undefined || value === "") return "—";
  const negative = value.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? value.slice(1) : value).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = fraction.length >= 2 ? fraction : fraction.padEnd(2, "0");
  return `${negative ? "−" : ""}${grouped}.${cents}${currency ? ` ${currency}` : ""}`;
}

export function pct(value: string | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return "—";
  const n = Number(value);
  return Number.isFinite(n) ? `${n.toFixed(digits)}%` : "—";
}

/** A share 0..1 as a percentage. */
export function share(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return pct(String(Number(value) * 100), 1);
}

export function when(iso: string | null | undefined, zone?: string): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return new Intl.DateTimeFormat("en-GB", {
    dateStyle: "medium",
    timeStyle: "medium",
    timeZone: zone ?? "UTC",
  }).format(date) + (zone ? "" : " UTC");
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h}h ${String(m).padStart(2, "0")}m ${String(r).padStart(2, "0")}s`;
}

export function words(code: string): string {
  return code.replace(/_/g, " ");
}
