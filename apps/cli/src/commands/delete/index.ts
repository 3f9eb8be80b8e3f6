import { BaseCommand } from '../../base-command.js';
import { deleteManifest } from '../../lib/apply.js';
import { CliError } from '../../lib/errors.js';
import { kindInfo } from '../../lib/kinds.js';
import { manifestFlags } from '../../lib/manifest-command.js';
import { loadManifest } from '../../lib/manifest.js';
import { formatStructured } from '../../lib/output.js';

export default class Delete extends BaseCommand<typeof Delete> {
  static override summary = 'Delete a base image, image, function, secret, endpoint or schedule, or everything in a manifest';
  static override description =
    'With -f, deletes every document of a YAML manifest in reverse dependency order; what is already gone is reported as skipped.';
  static override examples = ['<%= config.bin %> delete -f examples/hello.yaml', '<%= config.bin %> delete function hello'];
  static override flags = manifestFlags;

  async run(): Promise<void> {
    const { file } = this.flags;
    if (file === undefined) throw new CliError(400, 'give a manifest with -f FILE, or a kind and a name: dispatch delete function hello');
    const documents = await loadManifest(file, { workDir: this.flags['work-dir'], bodies: false });
    const format = this.outputFormat;
    const deleted: unknown[] = [];
    await deleteManifest(await this.client(), documents, (document, entity) => {
      const { noun } = kindInfo(document.kind);
      if (format === undefined)
        this.print(entity === undefined ? `Skipped ${noun}: ${document.name} (not found)` : `Deleted ${noun}: ${document.name}`);
      if (entity !== undefined) deleted.push(entity);
    });
    if (format !== undefined) this.print(await formatStructured(deleted, format));
  }
}
