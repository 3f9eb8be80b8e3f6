/**
 * `@dispatch/gateway/schemas`: the JSON Schemas of the REST API's bodies, for clients that check what they
 * send before sending it (the CLI validates manifests with them). Importing this loads no server code.
 */
export { tagSchema, errorSchema } from './common.js';
export {
  allEntitySchemas,
  baseImageSchemas,
  endpointSchemas,
  functionSchemas,
  imageSchemas,
  scheduleSchemas,
  secretSchemas,
  type EntitySchemas,
} from './entities.js';
