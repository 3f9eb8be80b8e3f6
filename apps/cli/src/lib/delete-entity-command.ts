import type { EntityKind } from '@dispatch/core/driver';
import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { kindInfo } from './kinds.js';
import { formatStructured } from './output.js';

/** `delete <kind> NAME`: prints `Deleted <kind>: NAME`, or the deleted entity with `-o json|yaml`. */
export abstract class DeleteEntityCommand extends BaseCommand<typeof DeleteEntityCommand> {
  /** The kind this command deletes. */
  static kind: EntityKind;

  static override args = {
    name: Args.string({ description: 'the name of the one to delete', required: true }),
  };

  async run(): Promise<void> {
    const { kind } = this.ctor as typeof DeleteEntityCommand;
    const deleted = await (await this.client()).entities(kind).delete(this.args.name);
    const format = this.outputFormat;
    this.print(format === undefined ? `Deleted ${kindInfo(kind).noun}: ${deleted.name}` : await formatStructured(deleted, format));
  }
}
