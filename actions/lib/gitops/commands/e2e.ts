import { mkdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

import { z } from 'zod';

import { InputError } from '../../errors';
import { amiParametersOf, parseParametersFile, setParameterInFile, writeRepositoryFile } from '../../parameters';
import { defineCommand, loadEnvironment, workspaceFiles } from './context';
import { amiId, environmentName } from './inputs';

/** The app template's parameter that names the network stack (DESIGN.md §3 app-stack contract). */
export const NETWORK_STACK_PARAMETER = 'NetworkStackName';

/** CloudFormation's stack-name rule: a letter, then letters, digits and hyphens, 128 at most. */
const stackName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name (a letter, then letters, digits and hyphens)');

/**
 * End-to-end on AWS (e2e-aws.yml): a scratch copy of an environment's parameters file with its AMI
 * and network stack swapped, for throwaway stacks that must not touch git. The copy goes through
 * the parameters module's one-line rewrite, so it is the environment's file in every other line:
 * the e2e deploys exactly what that environment would, on another AMI and network. A slots file
 * gets the AMI in both slots' AMI lines (its live slot, capacities and weights as in git): a
 * throwaway stack in a sandbox account must not name the environment's own AMIs, which may not
 * exist there. It refuses to write inside the checkout, where it would be a change git does not
 * record (set-ami is for that).
 */
export const writeParameters = defineCommand({
  description: "Write a copy of the environment's parameters file, outside the checkout, with another AMI (and network stack).",
  inputs: z.object({
    environment: environmentName.optional(),
    'ami-id': amiId,
    'network-stack-name': stackName.optional(),
    'output-file': z.string().min(1, 'is required: an absolute path outside the checkout, e.g. ${{ runner.temp }}/app-parameters.json').regex(/\.json$/, 'must end in .json'),
  }),
  outputs: ['parameters-file', 'ami-id'],
  async run(inputs, ctx) {
    const output = resolve(ctx.workspace, inputs['output-file']);
    const fromWorkspace = relative(resolve(ctx.workspace), output);
    const outsideCheckout = fromWorkspace.split(sep)[0] === '..' || isAbsolute(fromWorkspace);
    if (!isAbsolute(inputs['output-file']) || !outsideCheckout) {
      throw new InputError(
        `Cannot write the parameters copy ${inputs['output-file']}: it is not an absolute path outside the checkout, so it would be a change git does not record. ` +
          'Pass a path under the runner temp directory (${{ runner.temp }}/…), or use set-ami to change the file in git.',
        { file: inputs['output-file'] },
      );
    }
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const source = environment.parametersFile;
    let text = await workspaceFiles.read(ctx, source);
    const amiKeys = amiParametersOf(parseParametersFile(text, source).parameters);
    for (const key of amiKeys) text = setParameterInFile(text, key, inputs['ami-id'], source);
    const network = inputs['network-stack-name'];
    if (network) text = setParameterInFile(text, NETWORK_STACK_PARAMETER, network, source);
    // Parse the result as every consumer will, so a copy that update-app-stack would refuse is never written.
    parseParametersFile(text, source);
    await mkdir(dirname(output), { recursive: true });
    // The path check above is on the name; a directory link on the way must not lead into the
    // checkout either, and the file itself is written under the one file policy (no link is
    // followed, no FIFO opened), as every file the actions write.
    const [directory, checkout] = await Promise.all([realpath(dirname(output)), realpath(ctx.workspace)]);
    const fromCheckout = relative(checkout, directory);
    if (fromCheckout === '' || !(fromCheckout.split(sep)[0] === '..' || isAbsolute(fromCheckout))) {
      throw new InputError(
        `Cannot write the parameters copy ${inputs['output-file']}: its directory is ${directory} (through a link), inside the checkout, so it would be a change git does not record. Pass a path under the runner temp directory (\${{ runner.temp }}/…) that no link leads into the checkout.`,
        { file: inputs['output-file'] },
      );
    }
    await writeRepositoryFile(output, text, { whatFailed: 'Cannot write the parameters copy', root: dirname(output) });
    ctx.logger.info(`${output}: ${source} with ${amiKeys.map((key) => `${key}=${inputs['ami-id']}`).join(', ')}${network ? ` and ${NETWORK_STACK_PARAMETER}=${network}` : ''}.`);
    return { outputs: { 'parameters-file': output, 'ami-id': inputs['ami-id'] } };
  },
});
