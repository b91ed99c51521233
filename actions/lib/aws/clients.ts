import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SNSClient } from '@aws-sdk/client-sns';

import { systemClock } from '../clock';
import { AWS_CLOCK_MIDDLEWARE, AwsClock, type AwsTime } from './aws-clock';

/** Every AWS client the project uses. Logic receives the ones it needs through `deps.clients`. */
export interface AwsClients {
  cloudFormation: CloudFormationClient;
  imageBuilder: ImagebuilderClient;
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  autoScaling: AutoScalingClient;
  /** The rollback alarms' history, read by the promotion check. */
  cloudWatch: CloudWatchClient;
  /** AWS's time, from the Date header of these clients' answers: what time-based rules are judged on (aws-clock.ts). */
  awsClock: AwsTime;
}

export interface ClientOptions {
  region: string;
  /** Appended to the SDK's user agent so CloudTrail shows which action made a call. */
  userAgentSuffix?: string;
}

export const USER_AGENT = 'ami-patch-gitops/0.1';

/**
 * Every call gives up on an endpoint that does not answer. The SDK sets no timeout by default, so
 * a connection that opens but never answers (a proxy, a black-holed route) would hang a step until
 * GitHub kills the job, past every deadline `poll()` keeps. 10 s to connect is hundreds of times an
 * AWS endpoint's connect time; 60 s of silence on an open request is the AWS CLI's read timeout.
 * A timed-out call fails as `TimeoutError`, which the SDK retries and `poll()` rides out as
 * transient (aws/errors.ts), so a wait ends at its own deadline with a message that says so.
 */
export const CONNECTION_TIMEOUT_MS = 10_000;
export const SOCKET_TIMEOUT_MS = 60_000;

/**
 * The only place SDK clients are constructed (STYLE.md). Endpoints are not set here: the SDK reads
 * `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` itself, which is how local/ and the
 * integration tests point the very same code at moto and the Image Builder stand-in.
 *
 * Retry mode `adaptive` adds client-side rate limiting on top of the standard retries, so many
 * pollers in one account slow down together when throttled instead of failing; `poll()` rides out
 * what is left. Five attempts cover a short throttling burst without hiding a real outage.
 */
export function createAwsClients(options: ClientOptions): AwsClients {
  const config = sdkClientConfig(options);
  const awsClock = new AwsClock(systemClock);
  const clients = {
    cloudFormation: new CloudFormationClient(config),
    imageBuilder: new ImagebuilderClient(config),
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    autoScaling: new AutoScalingClient(config),
    cloudWatch: new CloudWatchClient(config),
  };
  // Every answer of every client tells the one clock what time AWS says it is.
  clients.cloudFormation.middlewareStack.add(awsClock.middleware, AWS_CLOCK_MIDDLEWARE);
  clients.imageBuilder.middlewareStack.add(awsClock.middleware, AWS_CLOCK_MIDDLEWARE);
  clients.ec2.middlewareStack.add(awsClock.middleware, AWS_CLOCK_MIDDLEWARE);
  clients.elbv2.middlewareStack.add(awsClock.middleware, AWS_CLOCK_MIDDLEWARE);
  clients.autoScaling.middlewareStack.add(awsClock.middleware, AWS_CLOCK_MIDDLEWARE);
  clients.cloudWatch.middlewareStack.add(awsClock.middleware, AWS_CLOCK_MIDDLEWARE);
  return { ...clients, awsClock };
}

/**
 * The SNS client of the notify command, apart from {@link createAwsClients} because only it
 * publishes, in the topic's region (which may differ from the environment's).
 */
export function createSnsClient(options: ClientOptions): SNSClient {
  return new SNSClient(sdkClientConfig(options));
}

/**
 * The configuration every client of the project gets (see createAwsClients). Exported for the
 * setup tools (tools/bootstrap/clients.ts), which need clients the actions never use (IAM, STS,
 * EventBridge, Secrets Manager) and so build them next to, not inside, the actions' bundles.
 */
export function sdkClientConfig(options: ClientOptions) {
  return {
    region: options.region,
    retryMode: 'adaptive',
    maxAttempts: 5,
    customUserAgent: options.userAgentSuffix ? `${USER_AGENT} ${options.userAgentSuffix}` : USER_AGENT,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: SOCKET_TIMEOUT_MS },
  };
}
