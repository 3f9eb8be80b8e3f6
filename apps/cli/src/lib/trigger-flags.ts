import { Flags } from '@oclif/core';
import { CliError } from './errors.js';

/** The flags of `create endpoint` that make it an Alexa, GitHub or SNS trigger endpoint (docs/triggers.md). */
export const triggerFlags = {
  trigger: Flags.string({
    options: ['http', 'alexa', 'github', 'sns'],
    description: 'who calls it: plain HTTP, an Alexa skill, a GitHub webhook or an Amazon SNS topic [default: http]',
  }),
  'application-id': Flags.string({ multiple: true, description: "alexa: a skill's id allowed to call it (repeatable)" }),
  intent: Flags.string({ multiple: true, description: 'alexa: INTENT=FUNCTION, the function answering an intent (repeatable)' }),
  launch: Flags.string({ description: 'alexa: the function answering LaunchRequest' }),
  'session-ended': Flags.string({ description: 'alexa: the function told of SessionEndedRequest' }),
  event: Flags.string({ multiple: true, description: 'github: an X-GitHub-Event that runs the function (repeatable) [default: push]' }),
  'topic-arn': Flags.string({ multiple: true, description: 'sns: a topic ARN whose messages run the function (repeatable)' }),
};

export interface TriggerFlagValues {
  trigger?: string;
  'application-id'?: string[];
  intent?: string[];
  launch?: string;
  'session-ended'?: string;
  event?: string[];
  'topic-arn'?: string[];
}

/** `trigger` and `triggerSettings` of an endpoint's body from the flags; empty when none is given. */
export function triggerBody(flags: TriggerFlagValues): Record<string, unknown> {
  const alexa = flags['application-id'] ?? flags.intent ?? flags.launch ?? flags['session-ended'];
  const topics = flags['topic-arn'];
  const trigger =
    flags.trigger ?? (alexa !== undefined ? 'alexa' : flags.event !== undefined ? 'github' : topics !== undefined ? 'sns' : undefined);
  if (trigger === undefined) return {};
  if (trigger !== 'alexa' && alexa !== undefined)
    throw new CliError(400, '--application-id, --intent, --launch and --session-ended are for --trigger alexa');
  if (trigger !== 'github' && flags.event !== undefined) throw new CliError(400, '--event is for --trigger github');
  if (trigger !== 'sns' && topics !== undefined) throw new CliError(400, '--topic-arn is for --trigger sns');
  const settings: Record<string, unknown> = {};
  if (trigger === 'alexa') {
    settings.applicationIds = flags['application-id'] ?? [];
    if (flags.intent !== undefined) {
      settings.intents = Object.fromEntries(
        flags.intent.map((pair) => {
          const [intent, fn] = pair.split('=', 2);
          if (!intent || !fn) throw new CliError(400, `--intent ${pair}: write INTENT=FUNCTION, e.g. HelloIntent=hello-intent`);
          return [intent.trim(), fn.trim()];
        }),
      );
    }
    if (flags.launch !== undefined) settings.launch = flags.launch;
    if (flags['session-ended'] !== undefined) settings.sessionEnded = flags['session-ended'];
  }
  if (trigger === 'github' && flags.event !== undefined) settings.events = flags.event;
  if (trigger === 'sns') settings.topicArns = topics ?? [];
  return trigger === 'http' ? { trigger } : { trigger, triggerSettings: settings };
}
