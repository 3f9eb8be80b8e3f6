import { BackendError } from '@dispatch/core/driver';
import type Dockerode from 'dockerode';

export interface SwarmNetwork {
  id: string;
  name: string;
}

/**
 * Finds the overlay network functions are attached to, creating it (overlay, attachable) when missing. A network
 * of that name that is not an attachable overlay is an error: the gateway could not join it.
 */
export async function ensureSwarmNetwork(docker: Dockerode, name: string): Promise<SwarmNetwork> {
  // The engine's name filter matches parts of names: pick the exact one, then inspect it, since a list entry of a
  // network being created can still lack its driver.
  const find = async (): Promise<Dockerode.NetworkInspectInfo | undefined> => {
    const listed = (await docker.listNetworks({ filters: { name: [name] } })).find((network) => network.Name === name);
    return listed === undefined ? undefined : ((await docker.getNetwork(listed.Id).inspect()) as Dockerode.NetworkInspectInfo);
  };
  let network = await find();
  if (network === undefined) {
    try {
      await docker.createNetwork({
        Name: name,
        Driver: 'overlay',
        Attachable: true,
        CheckDuplicate: true,
        Labels: { 'dispatch.managed': 'true' },
      });
    } catch (error) {
      // Another gateway created it at the same moment.
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    }
    network = await find();
    if (network === undefined) throw new BackendError(`[swarm] network "${name}" could not be created`);
  }
  if (network.Driver !== 'overlay' || network.Attachable !== true) {
    throw new BackendError(
      `[swarm] network "${name}" exists but is not an attachable overlay network (driver ${network.Driver}); ` +
        'remove it or choose another network',
    );
  }
  return { id: network.Id, name };
}
