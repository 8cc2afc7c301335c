import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { api, ApiError, makeClient, setClient, unwrap, useToken } from "./api/client";
import { currentToken, signOut, type AppConfig } from "./auth";
import { Loading, ProblemView } from "./components/common";
import { Layout } from "./components/Layout";
import { SignIn } from "./pages/SignIn";
import { Routes } from "./Routes";
import { SessionContext, type Session } from "./session";

export function App({ config }: { config: AppConfig }) {
  const token = currentToken();
  useMemo(() => {
    setClient(makeClient(config.apiBase));
    useToken(token);
  }, [config.apiBase, token]);
  const me = useQuery({
    queryKey: ["me", token],
    queryFn: async () => unwrap(await api().GET("/me")),
    enabled: token !== null,
  });
  if (token === null || (me.error instanceof ApiError && me.error.problem.status === 401)) {
    return <SignIn config={config} expired={token !== null} />;
  }
  if (me.isPending) return <main className="container"><Loading what="your account" /></main>;
  if (me.error) return <main className="container"><ProblemView error={me.error} /></main>;
  const roles = me.data.roles;
  const session: Session = {
    config,
    email: me.data.email,
    roles,
    isAdmin: roles.includes("admin"),
    isSupport: roles.includes("support"),
    isTrader: roles.includes("trader"),
    canChange: roles.includes("admin"),
  };
  return (
    <SessionContext.Provider value={session}>
      <Layout onSignOut={() => signOut(config)}>
        <Routes />
      </Layout>
    </SessionContext.Provider>
  );
}
