import { useEffect, useState } from 'preact/hooks';
import { whenUnauthorized } from './api/client.js';
import { forgetToken, readToken } from './api/token.js';
import { href, useRoute } from './route.js';
import { EndpointsPage } from './views/endpoints.js';
import { OverviewPage } from './views/overview.js';
import { RunsPage } from './views/runs.js';
import { SchedulesPage } from './views/schedules.js';
import { SignIn } from './views/sign-in.js';
import { TesterPage } from './views/tester.js';
import { UploadPage } from './views/upload.js';

const PAGES = [
  { id: 'overview', label: 'Overview', view: OverviewPage },
  { id: 'upload', label: 'Upload', view: UploadPage },
  { id: 'tester', label: 'Tester', view: TesterPage },
  { id: 'runs', label: 'Runs and logs', view: RunsPage },
  { id: 'endpoints', label: 'Endpoints', view: EndpointsPage },
  { id: 'schedules', label: 'Schedules', view: SchedulesPage },
] as const;

/** The console: a sign-in prompt until a token is known, then the pages. */
export function App() {
  const [signedIn, setSignedIn] = useState(() => readToken() !== undefined);
  const [refused, setRefused] = useState(false);
  const route = useRoute();

  useEffect(
    () =>
      whenUnauthorized(() => {
        setRefused(true);
        setSignedIn(false);
      }),
    [],
  );
  useEffect(() => {
    // Tests and the benchmark wait for this mark: the first screen can be used from here on.
    performance.mark('console-interactive');
    document.documentElement.dataset.ready = 'true';
  }, []);

  if (!signedIn) return <SignIn refused={refused} onSignedIn={() => (setRefused(false), setSignedIn(true))} />;

  const page = PAGES.find((candidate) => candidate.id === route.page) ?? PAGES[0];
  const View = page.view;
  return (
    <>
      <a class="skip" href="#main">
        Skip to the page
      </a>
      <header class="top">
        <span class="brand">Dispatch</span>
        <nav aria-label="Pages">
          {PAGES.map((candidate) => (
            <a key={candidate.id} href={href(candidate.id)} aria-current={candidate.id === page.id ? 'page' : undefined}>
              {candidate.label}
            </a>
          ))}
        </nav>
        <button
          type="button"
          class="link"
          onClick={() => {
            forgetToken();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <View params={route.params} />
      </main>
    </>
  );
}
