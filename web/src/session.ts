import { createContext, useContext } from "react";
import type { AppConfig } from "./auth";

export interface Session {
  config: AppConfig;
  email: string | null;
  roles: string[];
  isAdmin: boolean;
  isSupport: boolean;
  isTrader: boolean;
  /** Admin only: support reads every admin page and changes nothing. */
  canChange: boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("no session");
  return session;
}
