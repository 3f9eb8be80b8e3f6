import type { Command } from '@oclif/core';
import Apply from './commands/apply.js';
import ContextAdd from './commands/context/add.js';
import ContextList from './commands/context/list.js';
import ContextRemove from './commands/context/remove.js';
import ContextUse from './commands/context/use.js';
import CreateBaseImage from './commands/create/base-image.js';
import CreateEndpoint from './commands/create/endpoint.js';
import CreateFunction from './commands/create/function.js';
import CreateImage from './commands/create/image.js';
import Create from './commands/create/index.js';
import CreateSchedule from './commands/create/schedule.js';
import CreateSecret from './commands/create/secret.js';
import DeleteBaseImage from './commands/delete/base-image.js';
import DeleteEndpoint from './commands/delete/endpoint.js';
import DeleteFunction from './commands/delete/function.js';
import DeleteImage from './commands/delete/image.js';
import Delete from './commands/delete/index.js';
import DeleteSchedule from './commands/delete/schedule.js';
import DeleteSecret from './commands/delete/secret.js';
import Exec from './commands/exec.js';
import GatewayStart from './commands/gateway/start.js';
import GetBaseImage from './commands/get/base-image.js';
import GetEndpoint from './commands/get/endpoint.js';
import GetFunction from './commands/get/function.js';
import GetImage from './commands/get/image.js';
import GetRun from './commands/get/run.js';
import GetSchedule from './commands/get/schedule.js';
import GetSecret from './commands/get/secret.js';
import Logs from './commands/logs.js';
import RequeueRun from './commands/requeue/run.js';
import UpdateBaseImage from './commands/update/base-image.js';
import UpdateEndpoint from './commands/update/endpoint.js';
import UpdateFunction from './commands/update/function.js';
import UpdateImage from './commands/update/image.js';
import Update from './commands/update/index.js';
import UpdateSchedule from './commands/update/schedule.js';
import UpdateSecret from './commands/update/secret.js';
import Ui from './commands/ui.js';
import Version from './commands/version.js';

/**
 * Every command, by id (oclif's explicit discovery): the bundle needs no directory scan, and with the
 * manifest oclif loads this module only to run a command.
 */
export const COMMANDS: Record<string, typeof Command> = {
  apply: Apply,
  'context:add': ContextAdd,
  'context:list': ContextList,
  'context:remove': ContextRemove,
  'context:use': ContextUse,
  create: Create,
  'create:base-image': CreateBaseImage,
  'create:endpoint': CreateEndpoint,
  'create:function': CreateFunction,
  'create:image': CreateImage,
  'create:schedule': CreateSchedule,
  'create:secret': CreateSecret,
  delete: Delete,
  'delete:base-image': DeleteBaseImage,
  'delete:endpoint': DeleteEndpoint,
  'delete:function': DeleteFunction,
  'delete:image': DeleteImage,
  'delete:schedule': DeleteSchedule,
  'delete:secret': DeleteSecret,
  exec: Exec,
  'gateway:start': GatewayStart,
  'get:base-image': GetBaseImage,
  'get:endpoint': GetEndpoint,
  'get:function': GetFunction,
  'get:image': GetImage,
  'get:run': GetRun,
  'get:schedule': GetSchedule,
  'get:secret': GetSecret,
  logs: Logs,
  'requeue:run': RequeueRun,
  'update:base-image': UpdateBaseImage,
  'update:endpoint': UpdateEndpoint,
  'update:function': UpdateFunction,
  'update:image': UpdateImage,
  update: Update,
  'update:schedule': UpdateSchedule,
  'update:secret': UpdateSecret,
  ui: Ui,
  version: Version,
};
