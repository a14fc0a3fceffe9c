import { randomBytes } from 'node:crypto';
import type { Caller } from '../../../lambdas/domain/model';
import { authenticate } from '../../../lambdas/usecases/authenticate';
import { install, type InstallationDeps, type InstallRequest } from '../../../lambdas/usecases/installations';
import type { MemoryPorts } from './index';

export const PUBLIC_URL = 'https://hub.example.com';

/** The installation use case's deps over in-memory ports. */
export function installationDeps(ports: MemoryPorts, withQueue = true): InstallationDeps {
  return {
    registry: ports.registry,
    bindings: ports.bindings,
    journal: ports.journal,
    publicUrl: PUBLIC_URL,
    accessTokenTtl: 3600,
    refreshTokenTtl: 28 * 24 * 3600,
    ...(withQueue ? { deliveries: ports.deliveries } : {}),
  };
}

export interface InstalledApp {
  memberId: string;
  clientId: string;
  caller: Caller;
  accessToken: string;
  install: Record<string, unknown>;
}

/**
 * Installs an application for a user with the operator's use case, on in-memory ports, and
 * authenticates its access token: the caller a REST method would see.
 */
export async function installApp(ports: MemoryPorts, request: Partial<InstallRequest> = {}): Promise<InstalledApp> {
  const memberId = request.memberId ?? randomBytes(16).toString('hex');
  const clientId = request.clientId ?? `local.${randomBytes(6).toString('hex')}`;
  const out = await install(installationDeps(ports), { domain: `${memberId.slice(0, 8)}.example.com`, userId: 1, admin: true, ...request, memberId, clientId }, ports.clock.current);
  const accessToken = out.access_token as string;
  const caller = await authenticate(ports.registry, { type: 'token', token: accessToken }, Math.floor(ports.clock.current / 1000));
  return { memberId, clientId, caller, accessToken, install: out };
}
