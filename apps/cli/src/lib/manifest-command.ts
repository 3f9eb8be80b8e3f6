import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { writeManifest, type ManifestMode } from './apply.js';
import { CliError } from './errors.js';
import { kindInfo } from './kinds.js';
import { loadManifest, type ManifestDocument } from './manifest.js';
import { formatStructured } from './output.js';
import { waitUntilReady } from './wait.js';

export const manifestFlags = {
  file: Flags.string({
    char: 'f',
    description: "a YAML manifest (documents of kind BaseImage, Image, Secret, Function, Endpoint), or funker-dispatch's services.json",
  }),
  'work-dir': Flags.string({
    char: 'w',
    description: "the folder sourcePath and '@file' values are relative to [default: the manifest's]",
  }),
  'application-id': Flags.string({ description: "services.json: an Alexa skill's id allowed to call the alexa endpoint", multiple: true }),
  'webhook-secret': Flags.string({ description: 'services.json: the secret holding the GitHub webhook secret of the github endpoints' }),
};

/** `create -f`, `update -f`, `apply -f`: writes every document of a manifest, in dependency order. */
export abstract class ManifestCommand extends BaseCommand<typeof ManifestCommand> {
  static override flags = {
    ...manifestFlags,
    wait: Flags.boolean({ description: 'wait until everything written is READY; fail if something ends in ERROR' }),
  };

  /** Loads the manifest named by `-f`, or explains what the command needs without one. */
  protected async documents(usage: string): Promise<ManifestDocument[]> {
    const { file } = this.flags;
    if (file === undefined) throw new CliError(400, `give a manifest with -f FILE, or ${usage}`);
    return loadManifest(file, {
      workDir: this.flags['work-dir'],
      servicesJson: { applicationIds: this.flags['application-id'], webhookSecret: this.flags['webhook-secret'] },
    });
  }

  protected async writeAll(mode: ManifestMode, usage: string): Promise<void> {
    const documents = await this.documents(usage);
    const client = await this.client();
    const format = this.outputFormat;
    const written = await writeManifest(client, documents, mode, ({ verb, document }) => {
      if (format === undefined) this.print(`${verb} ${kindInfo(document.kind).noun}: ${document.name}`);
    });
    const entities = [];
    for (const { document, entity } of written) {
      const label = `${kindInfo(document.kind).noun} "${document.name}"`;
      entities.push(this.flags.wait ? await waitUntilReady(client.entities(document.kind), document.name, { label }) : entity);
    }
    if (format !== undefined) this.print(await formatStructured(entities, format));
  }
}
