import { startCognitoSignIn, type AppConfig } from "../auth";

export function SignIn({ config, expired }: { config: AppConfig; expired: boolean }) {
  return (
    <main className="container signin">
      <article>
        <header>
          <h1>propfirm</h1>
          <p>The trader and operations dashboards.</p>
        </header>
        {expired && <p role="alert">Your session has ended. Sign in again.</p>}
        {config.auth === "cognito" ? (
          <button type="button" onClick={() => void startCognitoSignIn(config)}>
            Sign in
          </button>
        ) : (
          <>
            <p>
              This is a local run. Open one of the sign-in links <code>propfirm dev</code> printed when it
              started (an admin, a support user, a sample trader), or make one:
            </p>
            <pre>
              <code>{`.venv/bin/propfirm token --role admin
.venv/bin/propfirm token --role trader --email <the purchase's email>`}</code>
            </pre>
            <p>
              and open <code>{`${window.location.origin}${window.location.pathname}#token=<the token>`}</code>.
              The token is kept for this tab only.
            </p>
          </>
        )}
      </article>
    </main>
  );
}
