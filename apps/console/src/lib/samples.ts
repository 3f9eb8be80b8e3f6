/**
 * Sample events for the tester: the seed's Alexa HelloIntent request (funker-dispatch's sample_request.json
 * shape), a LaunchRequest, and GitHub's push and ping webhooks. Built fresh each time, so ids and the Alexa
 * timestamp (checked within 150 s by a trigger) are current.
 */
export interface Sample {
  id: string;
  label: string;
  /** Alexa samples cannot be signed in a browser: only Amazon holds the key. */
  alexa?: boolean;
  /** The GitHub event name sent as X-GitHub-Event, for GitHub samples. */
  githubEvent?: string;
  body(): unknown;
}

/** The applicationId of examples/alexa-skill (its endpoint allows it), as in the seed's sample request. */
export const SAMPLE_APPLICATION_ID = 'amzn1.ask.skill.00000000-0000-0000-0000-000000000000';
const APPLICATION_ID = SAMPLE_APPLICATION_ID;

function alexaRequest(request: Record<string, unknown>): unknown {
  const id = crypto.randomUUID();
  return {
    version: '1.0',
    session: {
      new: true,
      sessionId: `amzn1.echo-api.session.${id}`,
      application: { applicationId: APPLICATION_ID },
      attributes: {},
      user: { userId: 'amzn1.ask.account.dispatch-console' },
    },
    context: { System: { application: { applicationId: APPLICATION_ID }, user: { userId: 'amzn1.ask.account.dispatch-console' } } },
    request: { requestId: `amzn1.echo-api.request.${id}`, locale: 'en-US', timestamp: new Date().toISOString(), ...request },
  };
}

const repository = {
  id: 1296269,
  name: 'hello-world',
  full_name: 'octocat/hello-world',
  html_url: 'https://github.com/octocat/hello-world',
};
const sender = { login: 'octocat', id: 1 };

export const SAMPLES: readonly Sample[] = [
  { id: 'hello', label: '{"name": "user"}', body: () => ({ name: 'user' }) },
  {
    id: 'alexa-hello',
    label: 'Alexa: HelloIntent',
    alexa: true,
    body: () => alexaRequest({ type: 'IntentRequest', intent: { name: 'HelloIntent', slots: {} } }),
  },
  { id: 'alexa-launch', label: 'Alexa: LaunchRequest', alexa: true, body: () => alexaRequest({ type: 'LaunchRequest' }) },
  {
    id: 'github-push',
    label: 'GitHub: push',
    githubEvent: 'push',
    body: () => ({
      ref: 'refs/heads/main',
      before: '0000000000000000000000000000000000000000',
      after: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
      commits: [
        {
          id: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
          message: 'Update the README',
          timestamp: new Date().toISOString(),
          author: { name: 'The Octocat', email: 'octocat@example.com', username: 'octocat' },
          added: [],
          removed: [],
          modified: ['README.md'],
        },
      ],
      head_commit: { id: '6dcb09b5b57875f334f61aebed695e2e4193db5e', message: 'Update the README' },
      repository,
      pusher: { name: 'octocat', email: 'octocat@example.com' },
      sender,
    }),
  },
  {
    id: 'github-ping',
    label: 'GitHub: ping',
    githubEvent: 'ping',
    body: () => ({
      zen: 'Keep it logically awesome.',
      hook_id: 42,
      hook: { type: 'Repository', id: 42, name: 'web', active: true, events: ['push'], config: { content_type: 'json' } },
      repository,
      sender,
    }),
  },
];
