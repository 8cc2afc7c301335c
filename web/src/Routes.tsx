import { match, useRoute } from "./router";
import { useSession } from "./session";
import { Accounts } from "./pages/admin/Accounts";
import { Abuse } from "./pages/admin/Abuse";
import { Audit } from "./pages/admin/Audit";
import { ChallengeAdmin } from "./pages/admin/ChallengeAdmin";
import { Gaps } from "./pages/admin/Gaps";
import { Payouts } from "./pages/admin/Payouts";
import { lazy, Suspense } from "react";
import { Loading } from "./components/common";
import { System } from "./pages/admin/System";
import { Transitions } from "./pages/admin/Transitions";
import { ChallengePage } from "./pages/trader/Challenge";
import { MyChallenges } from "./pages/trader/MyChallenges";
import { News } from "./pages/News";

// the programs page brings a YAML parser: loaded when an operator opens it, not with every dashboard
const Programs = lazy(() => import("./pages/admin/Programs").then((m) => ({ default: m.Programs })));

function NotHere() {
  return (
    <article role="alert">
      <h1>Not available</h1>
      <p>This page is not part of your role's dashboard.</p>
    </article>
  );
}

export function Routes() {
  const route = useRoute();
  const session = useSession();
  const staff = session.isAdmin || session.isSupport;
  if (route === "/" || route === "") return staff ? <Accounts /> : <MyChallenges />;
  if (route === "/news") return <News />;
  if (route.startsWith("/admin") && !staff) return <NotHere />;
  if (route.startsWith("/challenges") && !session.isTrader) return <NotHere />;
  let m: Record<string, string> | null;
  if (route === "/challenges") return <MyChallenges />;
  if ((m = match("/challenges/:id", route))) return <ChallengePage key={m.id} id={Number(m.id)} />;
  if (route === "/admin/accounts") return <Accounts />;
  if (route === "/admin/transitions") return <Transitions />;
  if (route === "/admin/payouts") return <Payouts />;
  if (route === "/admin/audit") return <Audit />;
  if (route === "/admin/abuse") return <Abuse />;
  if (route === "/admin/gaps") return <Gaps />;
  if (route === "/admin/system") return <System />;
  if (route === "/admin/programs" || (m = match("/admin/programs/:id", route))) {
    const id = m?.id;
    return (
      <Suspense fallback={<Loading what="the programs" />}>
        <Programs key={id ?? ""} id={id} />
      </Suspense>
    );
  }
  if ((m = match("/admin/challenges/:id", route))) return <ChallengeAdmin key={m.id} id={Number(m.id)} />;
  return (
    <article role="alert">
      <h1>No such page</h1>
      <p>
        <a href="#/">Back to the start</a>
      </p>
    </article>
  );
}
