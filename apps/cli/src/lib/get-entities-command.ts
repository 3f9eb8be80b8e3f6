import type { EntityKind } from '@dispatch/core/driver';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import type { Query } from '../client/http.js';
import { kindInfo } from './kinds.js';
import { CliError } from './errors.js';
import { formatRows } from './output.js';
import { waitUntilReady } from './wait.js';

/** `get <kind> [NAME]`: one entity, or all of them, as a table or with `-o json|yaml`. */
export abstract class GetEntitiesCommand extends BaseCommand<typeof GetEntitiesCommand> {
  /** The kind this command reads. */
  static kind: EntityKind;

  static override args = {
    name: Args.string({ description: 'the one to show; all when omitted' }),
  };

  static override flags = {
    wait: Flags.boolean({ description: 'with NAME: wait until it is READY (fail if it ends in ERROR), then show it' }),
  };

  /** Extra query parameters for the read (secrets' `reveal`). */
  protected query(): Query | undefined {
    return undefined;
  }

  async run(): Promise<void> {
    const { kind } = this.ctor as typeof GetEntitiesCommand;
    const api = (await this.client()).entities(kind);
    const { name } = this.args;
    const { wait } = this.flags as { wait?: boolean };
    if (wait && name === undefined) throw new CliError(400, '--wait needs a NAME: the one to wait for');
    if (wait && name !== undefined) await waitUntilReady(api, name, { label: `${kindInfo(kind).noun} "${name}"` });
    const found = name === undefined ? await api.list(this.query()) : await api.get(name, this.query());
    this.print(await formatRows(found, this.outputFormat, kindInfo(kind)));
  }
}
