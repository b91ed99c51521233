/**
 * Everything bootstrap reads from the repository, checked before any AWS call: the environment's
 * wiring, its parameters file against the app template, each `stackParameters` entry against its
 * template, the templates themselves, and the repository name. A problem here is an InputError
 * naming the file, the key and the fix; nothing in AWS has been touched.
 */
import { resolve } from 'node:path';

import { InputError } from '../../actions/lib/errors';
import { throwIfProblems } from '../../actions/lib/parameters/file-problems';
import {
  environmentStackNames,
  findParameterProblems,
  loadValidatedParametersFile,
  readTemplateParameters,
  readTemplateText,
  parseTemplateParameters,
  type EnvironmentConfig,
  type ParametersFile,
  type StackParameterRole,
  type TemplateParameters,
} from '../../actions/lib/parameters';
import { planTemplateSource, type TemplatePlan } from '../../actions/lib/cloudformation/template-source';
import { environmentStackSpecs, WIRED_PARAMETERS, type StackRole } from './stack-specs';

/** The repository name as GitHub and the github-oidc template accept it. */
export const REPOSITORY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

export interface RepositoryFiles {
  parametersFile: ParametersFile;
  /** The app template's Parameters (which of them are AMIs, for the owner check before the app stack). */
  appTemplate: TemplateParameters;
  /** Each template and how it is sent: inline, or (the app template over the limit) through the wiring's templateBucket. */
  templates: Record<StackRole, TemplatePlan>;
}

/** Reads and checks what bootstrap deploys for one environment. */
export async function readRepositoryFiles(repoDir: string, environment: EnvironmentConfig, repository: string, wiringFile: string): Promise<RepositoryFiles> {
  if (!REPOSITORY_PATTERN.test(repository)) {
    throw new InputError(
      `GitHub repository invalid for bootstrap: ${JSON.stringify(repository)} is not owner/name. Pass --repo <owner>/<name> (as on GitHub), or run from a clone whose origin is on github.com.`,
    );
  }
  const names = environmentStackNames(environment);
  const parametersFile = await loadValidatedParametersFile(resolve(repoDir, environment.parametersFile), resolve(repoDir, environment.appTemplate));
  const fileNetwork = parametersFile.parameters.NetworkStackName;
  if (fileNetwork !== undefined && fileNetwork !== names.network) {
    throw new InputError(
      `Parameters file invalid for ${environment.name}: ${environment.parametersFile} sets NetworkStackName "${fileNetwork}", but the wiring names the network stack "${names.network}". ` +
        `Make them the same (edit ${environment.parametersFile} or stacks.network in ${wiringFile}).`,
      { file: environment.parametersFile, line: parametersFile.lineOf('Parameters', 'NetworkStackName') },
    );
  }

  const templates = {} as Record<StackRole, TemplatePlan>;
  let appTemplate: TemplateParameters | undefined;
  for (const spec of environmentStackSpecs(environment)) {
    const path = resolve(repoDir, spec.template);
    const text = await readTemplateText(path);
    // Only the app template may go through S3: the bucket is the app stack's (github-oidc.yaml scopes the roles to it).
    templates[spec.role] = planTemplateSource({
      file: spec.template,
      body: text,
      stackName: spec.name,
      purpose: 'deploy',
      bucket: spec.role === 'app' ? environment.templateBucket : undefined,
      bucketSetting: `environments.${environment.name}.templateBucket in ${wiringFile}`,
    });
    if (spec.role === 'app') appTemplate = parseTemplateParameters(text, spec.template);
    else await checkStackParameters(environment, spec.role, path, spec.template, wiringFile);
  }
  if (!appTemplate) throw new Error(`No app stack among the stacks of ${environment.name}`);
  return { parametersFile, appTemplate, templates };
}

/** `stackParameters.<role>` against the template: known names, valid values, none that bootstrap wires itself. */
async function checkStackParameters(environment: EnvironmentConfig, role: StackParameterRole, path: string, template: string, wiringFile: string): Promise<void> {
  const values = environment.stackParameters?.[role];
  if (!values) return;
  const where = `environments.${environment.name}.stackParameters.${role}`;
  const wired = Object.keys(values).filter((key) => WIRED_PARAMETERS[role].includes(key));
  if (wired.length > 0) {
    throw new InputError(
      `Environment wiring invalid for ${wiringFile}: ${where} sets ${wired.join(', ')}, which bootstrap wires itself from the other stacks. Remove ${wired.length > 1 ? 'them' : 'it'}.`,
      { file: wiringFile },
    );
  }
  const declared = await readTemplateParameters(path);
  // Every parameter the template requires is either wired or has a default; only the given values are judged.
  const given: ParametersFile = { file: `${wiringFile} (${where})`, parameters: values, tags: {}, lineOf: () => 1 };
  const problems = findParameterProblems(given, { file: template, parameters: new Map([...declared.parameters].map(([k, p]) => [k, { ...p, default: p.default ?? '' }])) });
  throwIfProblems(`Environment wiring invalid (${where})`, wiringFile, problems);
}
