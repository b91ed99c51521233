/**
 * The replace strategy's green verifier: verify-alb's own logic (health, the AMI of each instance,
 * HTTP samples) in stack mode on the app stack mid-update, with blue's targets and samples set
 * aside (verify/verify-alb.ts `previousGroup`). update-app-stack runs it inside the
 * rollback-trigger window (window-verification.ts).
 */
import type { Deps } from '../deps';
import type { AwsClients } from '../aws/clients';
import type { FetchLike } from '../verify/sampler';
import { verifyAlb } from '../verify/verify-alb';
import type { GreenVerifier } from './window-verification';

export interface GreenVerifierSettings {
  stackName: string;
  region: string;
  /** Base URL of the load balancer; default the stack output LoadBalancerUrl. */
  url?: string;
  path: string;
  watchSeconds: number;
  maxErrorRate: number;
}

type VerifierDeps = Deps<Pick<AwsClients, 'cloudFormation' | 'autoScaling' | 'elbv2' | 'ec2'>> & { fetch: FetchLike };

export function createGreenVerifier(settings: GreenVerifierSettings, deps: VerifierDeps): GreenVerifier {
  return {
    watchSeconds: settings.watchSeconds,
    verify: async ({ amiId, previousGroup, healthWaitMs }) => {
      const report = await verifyAlb(
        {
          stackName: settings.stackName,
          targetGroupArn: undefined,
          expectedAmiId: amiId,
          url: settings.url,
          path: settings.path,
          watchSeconds: settings.watchSeconds,
          maxErrorRate: settings.maxErrorRate,
          timeoutMinutes: healthWaitMs / 60_000,
          region: settings.region,
        },
        deps,
        { previousGroup },
      );
      return { healthy: report.healthy, failures: report.failures };
    },
  };
}
