// oidc-provider's storage adapter over the OIDC service (and so over the store, on either engine). The
// `Client` model is read from otpgate's own clients; every other model is a JSON payload. A code or a
// refresh token is consumed by one conditional write: the loser of a race gets invalid_grant, and its grant
// (with what the winner was issued) is revoked.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { OidcService } from '../services/oidc-service.js';

export class OidcAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly oidc: OidcService,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.oidc.saveModel(this.model, id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') return (await this.oidc.clientMetadata(id)) as AdapterPayload | undefined;
    return (await this.oidc.findModel(this.model, id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return (await this.oidc.findModelByUid(this.model, uid));
  }

  /** No device flow: there are no user codes. */
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    if (!(await this.oidc.consumeModel(this.model, id))) throw new errors.InvalidGrant(`${this.model === 'RefreshToken' ? 'refresh token' : 'authorization code'} already consumed`);
  }

  async destroy(id: string): Promise<void> {
    await this.oidc.destroyModel(this.model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.oidc.revokeGrant(this.model, grantId);
  }
}
