import type { EntityKind, EntityMeta } from '@dispatch/core/driver';
import { Flags, type Command } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { kindInfo } from './kinds.js';
import { formatStructured } from './output.js';
import { waitUntilReady } from './wait.js';

export type WriteVerb = 'Created' | 'Updated';

/** Commands that create or update one entity: `Created function: hello`, and `--wait` for READY. */
export abstract class WriteCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    wait: Flags.boolean({ description: 'wait until it is READY; fail if it ends in ERROR' }),
  };

  /** Prints what was written and, with `--wait`, waits until it is READY (and prints that state with `-o`). */
  protected async reportWrite(verb: WriteVerb, kind: EntityKind, entity: EntityMeta): Promise<void> {
    const info = kindInfo(kind);
    const format = this.outputFormat;
    if (format === undefined) this.print(`${verb} ${info.noun}: ${entity.name}`);
    let final = entity;
    if ((this.flags as { wait?: boolean }).wait) {
      const api = (await this.client()).entities(kind);
      final = await waitUntilReady(api, entity.name, { label: `${info.noun} "${entity.name}"` });
    }
    if (format !== undefined) this.print(await formatStructured(final, format));
  }
}
