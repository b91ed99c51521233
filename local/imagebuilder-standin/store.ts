/**
 * What the stand-in remembers: registered pipelines, builds, client tokens, and the knobs tests
 * turn (build time, the next build's failure, throttling, and the labelled FAULT INJECTION ones:
 * garbled answers, an AMI that does not exist). Builds advance lazily: every read
 * asks `observe()`, which computes the state from the clock and mints the AMI in moto the first
 * time a build is due to become AVAILABLE.
 */
import { randomBytes } from 'node:crypto';

import type { Clock } from '../../actions/lib/clock';
import type { AmiMinter } from './ami-minter';
import { ApiError } from './protocol';
import { isTerminal, scheduledState, type BuildPlan, type ImageStatus, type InProgressStatus } from './lifecycle';

export interface PipelineOptions {
  /** The recipe's parent image (an AMI moto knows). Default: moto's Amazon Linux 2023 AMI. */
  parentImage?: string;
  /** Default: the pipeline's name. Image ARNs use it: image/<recipe>/<version>/<build>. */
  recipeName?: string;
  /** Semantic version of the recipe. Default 1.0.0. */
  recipeVersion?: string;
  /** The distribution configuration's amiTags. Default: PatchPipeline=<name>, ManagedBy=ami-patch-gitops. */
  amiTags?: Record<string, string>;
  /** AMI name prefix; the build date is appended (as `{{ imagebuilder:buildDate }}` would be). Default: the pipeline name. */
  amiNamePrefix?: string;
  /** The infrastructure configuration's instance type. Default t3.micro. */
  instanceType?: string;
  /**
   * The account the distribution configuration puts the AMI in (outputResources.amis[].accountId).
   * Default: the pipeline's own. A central build account's pipeline names the environment's
   * account here; the AMI is minted in moto's account, where the action reads it, either way.
   */
  distributionAccount?: string;
}

export interface PipelineRecord extends Required<PipelineOptions> {
  arn: string;
  name: string;
  region: string;
  accountId: string;
  createdMs: number;
  lastRunMs?: number;
}

export interface BuildRecord {
  arn: string;
  pipelineArn: string;
  buildNumber: number;
  startedMs: number;
  buildMs: number;
  plan: BuildPlan;
  clientToken: string;
  tags: Record<string, string>;
  cancelled?: { atMs: number; atStatus: InProgressStatus };
  ami?: { imageId: string; name: string; mintedMs: number };
  mintError?: string;
  minting?: Promise<void>;
  /** The build was told to spoil its AMI (config.spoilNext): see StandinConfig.spoilNext. */
  spoiled?: boolean;
  /** FAULT INJECTION (config.phantomAmiNext): the build names an AMI that was never minted. */
  phantom?: boolean;
}

/** What a garbled answer looks like (FAULT INJECTION, StandinConfig.garble). */
export type GarbledBody = 'html' | 'truncated-json';

export interface FailureSpec {
  status: 'FAILED' | 'CANCELLED';
  reason?: string;
  /** The phase it ends in. Default BUILDING (a component or update failing). */
  atStatus?: InProgressStatus;
}

export interface StandinConfig {
  /** Total build time, PENDING to AVAILABLE. 0 = done on the first GetImage. */
  buildSeconds: number;
  /** The next started build ends this way (one build only). */
  failNext?: FailureSpec;
  /** The next started build never leaves this phase (true = BUILDING). */
  stallNext?: boolean | InProgressStatus;
  /** The next `count` calls to `operations` (default StartImagePipelineExecution and GetImage) answer 429. */
  throttle?: { count: number; operations?: string[] };
  /**
   * The next started build succeeds (AVAILABLE, a real AMI in moto) but its AMI is spoiled: a bad
   * patch broke the image's RPM database. Nothing in the Image Builder API shows it (as on AWS,
   * where a build's tests can miss it); the local data plane, which asks GET /_standin/state,
   * serves that AMI's instances with the broken database, so details.php fails on HTTP while the
   * health page still answers.
   */
  spoilNext?: boolean;
  /**
   * FAULT INJECTION, not Image Builder behaviour: the next calls to `operations` (default GetImage)
   * get HTTP 200 with a body that is no Image Builder answer, one per entry of `answers`, in order:
   * `html`, the error page a proxy or captive portal serves; `truncated-json`, an answer cut short.
   * The SDK cannot parse either (a "Deserialization error"), which is what a long build wait can
   * meet on a bad network. Then the stand-in answers properly again.
   */
  garble?: { answers: GarbledBody[]; operations?: string[] };
  /**
   * FAULT INJECTION, not Image Builder behaviour: the next started build ends AVAILABLE naming an
   * AMI that EC2 never had (nothing is minted in moto), as if the AMI was deregistered after the
   * build or the answer named a wrong one.
   */
  phantomAmiNext?: boolean;
}

export interface Observed {
  status: ImageStatus;
  reason?: string;
}

export class StandinStore {
  readonly pipelines = new Map<string, PipelineRecord>();
  readonly builds = new Map<string, BuildRecord>();
  private readonly tokens = new Map<string, string>();
  config: StandinConfig;

  constructor(
    private readonly defaults: StandinConfig,
    private readonly deps: {
      clock: Clock;
      mintAmi: AmiMinter;
      resolveDefaultParentImage: () => Promise<string>;
      log: (line: string) => void;
    },
  ) {
    this.config = { ...defaults };
  }

  reset(): void {
    this.pipelines.clear();
    this.builds.clear();
    this.tokens.clear();
    this.config = { ...this.defaults };
  }

  /** Merges `changes` into the configuration; a key set to null (or undefined) clears that knob. */
  configure(changes: { [K in keyof StandinConfig]?: StandinConfig[K] | null }): StandinConfig {
    const next: Record<string, unknown> = { ...this.config };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined) delete next[key];
      else next[key] = value;
    }
    this.config = { ...this.defaults, ...(next as Partial<StandinConfig>) };
    return this.config;
  }

  async registerPipeline(arn: string, options: PipelineOptions): Promise<PipelineRecord> {
    const match = /^arn:aws[^:]*:imagebuilder:([^:]+):(\d{12}):image-pipeline\/([a-z0-9-_]+)$/.exec(arn);
    if (!match) throw new ApiError('InvalidParameterValueException', `"${arn}" is not an image pipeline ARN (arn:aws:imagebuilder:<region>:<account>:image-pipeline/<name>).`);
    const [, region, accountId, name] = match;
    const record: PipelineRecord = {
      arn,
      name,
      region,
      accountId,
      createdMs: this.deps.clock.now(),
      parentImage: options.parentImage ?? (await this.deps.resolveDefaultParentImage()),
      recipeName: options.recipeName ?? name,
      recipeVersion: options.recipeVersion ?? '1.0.0',
      amiTags: options.amiTags ?? { PatchPipeline: name, ManagedBy: 'ami-patch-gitops' },
      amiNamePrefix: options.amiNamePrefix ?? name,
      instanceType: options.instanceType ?? 't3.micro',
      distributionAccount: options.distributionAccount ?? accountId,
    };
    this.pipelines.set(arn, record);
    return record;
  }

  pipeline(arn: string): PipelineRecord {
    const pipeline = this.pipelines.get(arn);
    if (!pipeline) {
      throw new ApiError('ResourceNotFoundException', `The resource ARN '${arn}' does not exist. (STAND-IN: register it with the control API first.)`);
    }
    return pipeline;
  }

  /** Throws the injected throttling error while the burst lasts. */
  consumeThrottle(operation: string): void {
    const throttle = this.config.throttle;
    if (!throttle || throttle.count <= 0) return;
    const operations = throttle.operations ?? ['StartImagePipelineExecution', 'GetImage'];
    if (!operations.includes(operation)) return;
    this.config = { ...this.config, throttle: { ...throttle, count: throttle.count - 1 } };
    throw new ApiError('CallRateLimitExceededException', `STAND-IN injected throttling: rate exceeded for ${operation}.`);
  }

  /** The garbled body to answer `operation` with while the injected burst lasts (see StandinConfig.garble). */
  consumeGarble(operation: string): GarbledBody | undefined {
    const garble = this.config.garble;
    if (!garble || garble.answers.length === 0) return undefined;
    if (!(garble.operations ?? ['GetImage']).includes(operation)) return undefined;
    const [next, ...rest] = garble.answers;
    this.config = { ...this.config, garble: { ...garble, answers: rest } };
    return next;
  }

  /**
   * Starts a build, or returns the build a previous call with the same client token started
   * (Image Builder's idempotency; a token reused for another pipeline is a mismatch).
   */
  startBuild(pipelineArn: string, clientToken: string, tags: Record<string, string>): { build: BuildRecord; replayed: boolean } {
    const pipeline = this.pipeline(pipelineArn);
    const previous = this.tokens.get(clientToken);
    if (previous) {
      const build = this.builds.get(previous) as BuildRecord;
      if (build.pipelineArn !== pipelineArn) {
        throw new ApiError('IdempotentParameterMismatchException', `The client token '${clientToken}' was already used with different parameters.`);
      }
      return { build, replayed: true };
    }
    const sameVersion = [...this.builds.values()].filter((b) => b.arn.startsWith(this.versionArn(pipeline) + '/'));
    const buildNumber = sameVersion.length + 1;
    const now = this.deps.clock.now();
    const build: BuildRecord = {
      arn: `${this.versionArn(pipeline)}/${buildNumber}`,
      pipelineArn,
      buildNumber,
      startedMs: now,
      buildMs: Math.max(0, this.config.buildSeconds * 1000),
      plan: this.takePlan(),
      clientToken,
      tags,
      ...(this.takeSpoil() ? { spoiled: true } : {}),
      ...(this.takePhantom() ? { phantom: true } : {}),
    };
    this.builds.set(build.arn, build);
    this.tokens.set(clientToken, build.arn);
    pipeline.lastRunMs = now;
    return { build, replayed: false };
  }

  build(arn: string): BuildRecord {
    const build = this.builds.get(arn);
    if (!build) throw new ApiError('ResourceNotFoundException', `The resource ARN '${arn}' does not exist.`);
    return build;
  }

  /** The build's state now; mints its AMI first if it is due to become AVAILABLE. */
  async observe(build: BuildRecord): Promise<Observed> {
    if (build.cancelled) return { status: 'CANCELLED', reason: 'Image creation was cancelled by CancelImageCreation.' };
    if (build.mintError) return { status: 'FAILED', reason: build.mintError };
    if (build.ami) return { status: 'AVAILABLE' };
    const scheduled = scheduledState(build.plan, this.deps.clock.now() - build.startedMs, build.buildMs);
    if (scheduled.status !== 'AVAILABLE') return scheduled;
    build.minting ??= this.mint(build);
    await build.minting;
    return this.observe(build);
  }

  async cancel(build: BuildRecord): Promise<void> {
    const { status } = await this.observe(build);
    if (isTerminal(status)) {
      throw new ApiError('ResourceInUseException', `The image '${build.arn}' is ${status} and can no longer be cancelled.`);
    }
    build.cancelled = { atMs: this.deps.clock.now(), atStatus: status as InProgressStatus };
  }

  private versionArn(pipeline: PipelineRecord): string {
    return `arn:aws:imagebuilder:${pipeline.region}:${pipeline.accountId}:image/${pipeline.recipeName}/${pipeline.recipeVersion}`;
  }

  /** The plan of the next build: the injected failure or stall if any (used once), else success. */
  private takePlan(): BuildPlan {
    const { failNext, stallNext } = this.config;
    if (failNext) {
      this.config = { ...this.config, failNext: undefined };
      return {
        outcome: failNext.status,
        reason: failNext.reason ?? `STAND-IN injected ${failNext.status} (no reason given to the control API).`,
        atStatus: failNext.atStatus ?? 'BUILDING',
      };
    }
    if (stallNext) {
      this.config = { ...this.config, stallNext: undefined };
      return { outcome: 'STALLED', atStatus: stallNext === true ? 'BUILDING' : stallNext };
    }
    return { outcome: 'AVAILABLE' };
  }

  /** Whether the next build is to be spoiled (used once). */
  private takeSpoil(): boolean {
    if (!this.config.spoilNext) return false;
    this.config = { ...this.config, spoilNext: undefined };
    return true;
  }

  /** Whether the next build is to name an AMI that does not exist (used once). */
  private takePhantom(): boolean {
    if (!this.config.phantomAmiNext) return false;
    this.config = { ...this.config, phantomAmiNext: undefined };
    return true;
  }

  private async mint(build: BuildRecord): Promise<void> {
    const pipeline = this.pipeline(build.pipelineArn);
    const now = this.deps.clock.now();
    // {{ imagebuilder:buildDate }} renders like 2026-11-27T11-23-17.123Z: ISO with ':' made legal for AMI names.
    const name = `${pipeline.amiNamePrefix}-${new Date(now).toISOString().replace(/:/g, '-')}`;
    if (build.phantom) {
      // A well-formed ID EC2 has never seen: 17 hex digits, as every new AMI ID has.
      build.ami = { imageId: `ami-0${randomBytes(8).toString('hex')}`, name, mintedMs: now };
      this.deps.log(`STAND-IN imagebuilder: ${build.arn} AVAILABLE naming ${build.ami.imageId}, which was NOT minted (phantomAmiNext, injected as told)`);
      return;
    }
    try {
      const imageId = await this.deps.mintAmi({
        parentImage: pipeline.parentImage,
        instanceType: pipeline.instanceType,
        name,
        description: `${pipeline.recipeName} ${pipeline.recipeVersion}/${build.buildNumber} (minted by the EC2 Image Builder stand-in; nothing was installed)`,
        tags: { ...pipeline.amiTags, Ec2ImageBuilderArn: build.arn, CreatedBy: 'EC2 Image Builder' },
        imageBuildVersionArn: build.arn,
      });
      build.ami = { imageId, name, mintedMs: now };
      this.deps.log(`STAND-IN imagebuilder: ${build.arn} AVAILABLE; minted ${imageId} ("${name}") in moto from ${pipeline.parentImage}${build.spoiled ? ' (SPOILED as told: its RPM database is corrupt, details.php will fail on the data plane)' : ''}`);
    } catch (error) {
      build.mintError = `STAND-IN could not mint the AMI in moto: ${error instanceof Error ? error.message : String(error)}`;
      this.deps.log(`STAND-IN imagebuilder: ${build.arn} FAILED: ${build.mintError}`);
    }
  }
}
