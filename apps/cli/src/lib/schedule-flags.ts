import { Flags } from '@oclif/core';
import { CliError } from './errors.js';

/** The flags `create schedule` and `update schedule` share. */
const CRON_DESCRIPTION = 'when it runs: five fields ("0 2 * * *"), or six with seconds first ("*/10 * * * * *")';

export const scheduleFlags = {
  cron: Flags.string({ description: CRON_DESCRIPTION }),
  tz: Flags.string({ description: 'the IANA time zone the cron expression is read in (default UTC), e.g. Europe/Berlin' }),
  input: Flags.string({ description: 'the JSON payload of every run' }),
};

/** `--cron` as `create schedule` needs it. */
export const requiredCronFlag = Flags.string({ description: CRON_DESCRIPTION, required: true });

/** The request body fields the schedule flags set. */
export function scheduleBody(flags: { cron?: string; tz?: string; input?: string }): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.cron !== undefined) body.cron = flags.cron;
  if (flags.tz !== undefined) body.timezone = flags.tz;
  if (flags.input !== undefined) {
    try {
      body.input = JSON.parse(flags.input);
    } catch (error) {
      throw new CliError(400, `--input is not valid JSON: ${(error as Error).message}`);
    }
  }
  return body;
}
