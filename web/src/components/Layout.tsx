import type { ReactNode } from "react";
import { link, useRoute } from "../router";
import { useSession } from "../session";

export function Layout({ children, onSignOut }: { children: ReactNode; onSignOut: () => void }) {
  const session = useSession();
  const route = useRoute();
  const staff = session.isAdmin || session.isSupport;
  const item = (path: string, label: string) => (
    <li key={path}>
      <a href={link(path)} aria-current={route === path || route.startsWith(`${path}/`) ? "page" : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <>
      <header className="container-fluid topbar">
        <nav aria-label="Main">
          <ul>
            <li>
              <a href={link("/")} className="brand">
                <strong>propfirm</strong>
              </a>
            </li>
          </ul>
          <ul className="sections">
            {session.isTrader && item("/challenges", "My challenges")}
            {staff && item("/admin/accounts", "Accounts")}
            {staff && item("/admin/transitions", "Transitions")}
            {staff && item("/admin/payouts", "Payouts")}
            {staff && item("/admin/abuse", "Abuse")}
            {staff && item("/admin/gaps", "Blind intervals")}
            {staff && item("/admin/audit", "Audit")}
            {staff && item("/admin/programs", "Programs")}
            {staff && item("/admin/system", "System")}
            {item("/news", "News")}
          </ul>
          <ul>
            <li>
              <small className="who">
                {session.email} <span className="roles">({session.roles.join(", ")})</span>
              </small>
            </li>
            <li>
              <button type="button" className="outline secondary" onClick={onSignOut}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main className={route.startsWith("/admin") ? "container-fluid" : "container"}>{children}</main>
    </>
  );
}
