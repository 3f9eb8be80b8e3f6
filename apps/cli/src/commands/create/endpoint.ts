import { Args, Flags } from '@oclif/core';
import { endpointBody, endpointFlags } from '../../lib/endpoint-flags.js';
import { triggerBody, triggerFlags } from '../../lib/trigger-flags.js';
import { WriteCommand } from '../../lib/write-command.js';

export default class CreateEndpoint extends WriteCommand<typeof CreateEndpoint> {
  static override summary = 'Create an HTTP endpoint that runs a function';
  static override examples = [
    '<%= config.bin %> create endpoint get-hello hello --method GET --method POST --path /hello',
    '<%= config.bin %> create endpoint hook hello -m POST -p /hooks/* -d api.example.com --cors',
    '<%= config.bin %> create endpoint skill launch --trigger alexa -m POST -p / --application-id amzn1.ask.skill.… --intent HelloIntent=hello-intent --launch launch',
    '<%= config.bin %> create endpoint push push-logger --trigger github -m POST -p /github --auth-secret github-webhook --event push',
    '<%= config.bin %> create endpoint uploads s3-upload-handler --trigger sns -m POST -p /sns/uploads --topic-arn arn:aws:sns:eu-west-1:123456789012:uploads',
    '<%= config.bin %> create endpoint orders order-stream -m POST -p /eventbridge/orders --auth apiKey --auth-header x-api-key --auth-secret eventbridge-key',
  ];
  static override args = {
    name: Args.string({ description: 'the endpoint name', required: true }),
    function: Args.string({ description: 'the function it runs', required: true }),
  };
  static override flags = {
    ...endpointFlags,
    ...triggerFlags,
    disable: Flags.boolean({ description: 'create it disabled (it matches no request until enabled)' }),
  };

  async run(): Promise<void> {
    const { name, function: functionName } = this.args;
    const body: Record<string, unknown> = { name, function: functionName, ...endpointBody(this.flags), ...triggerBody(this.flags) };
    if (this.flags.disable) body.enabled = false;
    const created = await (await this.client()).endpoints.create(body);
    await this.reportWrite('Created', 'endpoint', created);
  }
}
