// Signing in. Locally (`propfirm dev`): a sign-in link carries a bearer token as `#token=<JWT>`; the app
// keeps it for the tab (sessionStorage) and removes it from the address bar. In AWS: Cognito's hosted UI,
// authorization code with PKCE; the ID token is kept the same way. Nothing is kept across tabs or in
// cookies, so closing the tab signs out.

export interface AppConfig {
  auth: "local" | "cognito";
  apiBase: string; // "" when the API is on the app's origin
  cognito?: { domain: string; clientId: string; redirectUri: string; logoutUri: string };
}

const TOKEN = "propfirm.token";
const PKCE = "propfirm.pkce";

export interface Claims {
  sub: string;
  email?: string;
  exp?: number;
  "cognito:groups"?: string[] | string;
}

function base64UrlDecode(part: string): string {
  const padded = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function base64UrlEncode(bytes: Uint8Array): string {
  let text = "";
  bytes.forEach((b) => (text += String.fromCharCode(b)));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The token's claims, read without verifying it (the API verifies; the app only needs exp and roles). */
export function claimsOf(token: string): Claims | null {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    return JSON.parse(base64UrlDecode(parts[1])) as Claims;
  } catch {
    return null;
  }
}

export function currentToken(now: number = Date.now()): string | null {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return null;
  const claims = claimsOf(token);
  if (!claims || (claims.exp !== undefined && claims.exp * 1000 <= now)) {
    sessionStorage.removeItem(TOKEN);
    return null;
  }
  return token;
}

export function signOut(config: AppConfig): void {
  sessionStorage.removeItem(TOKEN);
  if (config.auth === "cognito" && config.cognito) {
    const { domain, clientId, logoutUri } = config.cognito;
    window.location.assign(`${domain}/logout?client_id=${encodeURIComponent(clientId)}&logout_uri=${encodeURIComponent(logoutUri)}`);
  } else {
    window.location.hash = "#/";
    window.location.reload();
  }
}

/** A token in the address bar (`#token=…`, a local sign-in link): kept, and removed from the URL. */
function takeTokenFromHash(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return;
  sessionStorage.setItem(TOKEN, decodeURIComponent(match[1]));
  history.replaceState(null, "", `${window.location.pathname}${window.location.search}#/`);
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Cognito's hosted UI, authorization code with PKCE (RFC 7636). */
export async function startCognitoSignIn(config: AppConfig): Promise<void> {
  if (!config.cognito) return;
  const verifier = base64UrlEncode(crypto.getRandomValues(new Uint8Array(48)));
  const state = base64UrlEncode(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const challenge = base64UrlEncode(await sha256(verifier));
  const { domain, clientId, redirectUri } = config.cognito;
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: "openid email profile",
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  });
  window.location.assign(`${domain}/oauth2/authorize?${query}`);
}

/** Back from the hosted UI with `?code=…&state=…`: exchange the code for tokens. */
async function finishCognitoSignIn(config: AppConfig): Promise<void> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get("code");
  if (!code || !config.cognito) return;
  const saved = JSON.parse(sessionStorage.getItem(PKCE) ?? "{}") as { verifier?: string; state?: string };
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, "", `${window.location.pathname}#/`);
  if (!saved.verifier || saved.state !== params.get("state")) return; // not the sign-in this tab started
  const { domain, clientId, redirectUri } = config.cognito;
  const response = await fetch(`${domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      redirect_uri: redirectUri,
      code_verifier: saved.verifier,
    }),
  });
  if (response.ok) {
    const tokens = (await response.json()) as { id_token?: string };
    if (tokens.id_token) sessionStorage.setItem(TOKEN, tokens.id_token); // the API's authorizer takes ID tokens
  }
}

export async function loadConfig(): Promise<AppConfig> {
  try {
    const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: "no-store" });
    if (response.ok) return (await response.json()) as AppConfig;
  } catch {
    // no config: the local defaults
  }
  return { auth: "local", apiBase: "" };
}

export async function signIn(config: AppConfig): Promise<void> {
  takeTokenFromHash();
  if (config.auth === "cognito") await finishCognitoSignIn(config);
}
