// All services over one context: what every adapter receives.
import { AccountService } from './account-service.js';
import { ApiKeyService } from './api-key-service.js';
import { AuditService } from './audit-service.js';
import type { ServiceContext } from './context.js';
import { HealthService } from './health-service.js';
import { DirectoryService } from './directory-service.js';
import { DirectorySyncService } from './directory-sync-service.js';
import { ImportService } from './import-service.js';
import { ImportResultService } from './import-result-service.js';
import { Metrics } from './metrics.js';
import { NotificationService } from './notification-service.js';
import { OidcService } from './oidc-service.js';
import { ReportService } from './report-service.js';
import { RadiusChallengeService } from './radius-challenge-service.js';
import { RadiusClientService } from './radius-client-service.js';
import { RestrictionService } from './restriction-service.js';
import { SessionService } from './session-service.js';
import { SignInService } from './sign-in-service.js';
import { TempCodeService } from './temp-code-service.js';
import { AppEnrolmentService } from './app-enrolment-service.js';
import { TokenService } from './token-service.js';
import { TokenStateService } from './token-state-service.js';
import { UserService } from './user-service.js';
import { WayInService } from './way-in-service.js';

export interface Services {
  ctx: ServiceContext;
  audit: AuditService;
  accounts: AccountService;
  users: UserService;
  tokens: TokenService;
  /** A token's states: disable, enable, retire, reported lost, validity dates, unlock. */
  tokenStates: TokenStateService;
  tempCodes: TempCodeService;
  appEnrolments: AppEnrolmentService;
  restrictions: RestrictionService;
  signIn: SignInService;
  imports: ImportService;
  importResults: ImportResultService;
  apiKeys: ApiKeyService;
  sessions: SessionService;
  radiusClients: RadiusClientService;
  radiusChallenges: RadiusChallengeService;
  health: HealthService;
  directories: DirectoryService;
  directorySync: DirectorySyncService;
  notifications: NotificationService;
  metrics: Metrics;
  reports: ReportService;
  wayIn: WayInService;
  oidc: OidcService;
}

export function createServices(ctx: ServiceContext): Services {
  const audit = new AuditService(ctx);
  const wayIn = new WayInService(ctx);
  const users = new UserService(ctx, audit, wayIn);
  const directories = new DirectoryService(ctx, audit, wayIn);
  const metrics = new Metrics(ctx);
  const imports = new ImportService(ctx, audit, metrics);
  const tokens = new TokenService(ctx, users, audit, wayIn);
  return {
    ctx,
    audit,
    accounts: new AccountService(ctx, audit, wayIn),
    users,
    tokens,
    tokenStates: new TokenStateService(ctx, tokens, users, audit, wayIn),
    tempCodes: new TempCodeService(ctx, users, audit),
    appEnrolments: new AppEnrolmentService(ctx, users, audit),
    restrictions: new RestrictionService(ctx, users, audit, wayIn),
    signIn: new SignInService(ctx, audit, directories, metrics),
    imports,
    importResults: new ImportResultService(ctx, imports),
    apiKeys: new ApiKeyService(ctx, audit),
    sessions: new SessionService(ctx),
    radiusClients: new RadiusClientService(ctx, audit),
    radiusChallenges: new RadiusChallengeService(ctx),
    health: new HealthService(ctx, metrics),
    directories,
    directorySync: new DirectorySyncService(ctx, directories, audit),
    notifications: new NotificationService(ctx, audit, ctx.notify),
    metrics,
    reports: new ReportService(ctx),
    wayIn,
    oidc: new OidcService(ctx, audit, metrics),
  };
}
