import type { KnativeObject } from './knative-service.js';

/** Where and how to reach a function over HTTP. */
export interface FunctionEndpoint {
  /** The URL connected to: the ingress, the cluster-local address, or status.url. */
  url: URL;
  /** The Host header: the host of status.url when going through an ingress. */
  host: string;
  /** What to say in messages: `http://hello.default.example.com via http://10.0.0.1:80`. */
  describe: string;
}

/** How the driver reaches functions: through an ingress address, in the cluster, or at status.url. */
export interface EndpointSettings {
  ingressAddress?: string;
  inCluster: boolean;
}

/** The endpoint of a Service from its status, or undefined while Knative has not published one. */
export function functionEndpoint(service: KnativeObject, settings: EndpointSettings): FunctionEndpoint | undefined {
  const status = service.status;
  if (settings.inCluster) {
    const address = status?.address?.url;
    if (address === undefined) return undefined;
    const url = new URL(address);
    return { url, host: url.host, describe: address };
  }
  if (status?.url === undefined) return undefined;
  const external = new URL(status.url);
  if (settings.ingressAddress !== undefined) {
    const ingress = new URL(settings.ingressAddress.includes('://') ? settings.ingressAddress : `http://${settings.ingressAddress}`);
    return { url: ingress, host: external.host, describe: `${status.url} via ${ingress.origin}` };
  }
  return { url: external, host: external.host, describe: status.url };
}
