/**
 * Shapes of the EC2 resource IDs that CloudFormation's AWS-specific parameter types take. EC2 IDs
 * are a prefix, a dash and 8 (older resources) or 17 (since 2016-2018) lowercase hex digits.
 */
const ec2Id = (prefix: string) => new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`);

/** An AMI ID: `ami-` + 8 or 17 lowercase hex digits. */
export const AMI_ID_PATTERN = ec2Id('ami');

/** True when `value` is shaped like an AMI ID (it may still not exist). */
export function isAmiId(value: string): boolean {
  return AMI_ID_PATTERN.test(value);
}

/** The ID shape behind each AWS-specific parameter type whose value is an EC2 ID. */
export const EC2_ID_TYPES: Readonly<Record<string, Ec2IdShape>> = {
  'AWS::EC2::Image::Id': shape('ami', 'an AMI ID'),
  'AWS::EC2::Instance::Id': shape('i', 'an instance ID'),
  'AWS::EC2::SecurityGroup::Id': shape('sg', 'a security group ID'),
  'AWS::EC2::Subnet::Id': shape('subnet', 'a subnet ID'),
  'AWS::EC2::Volume::Id': shape('vol', 'a volume ID'),
  'AWS::EC2::VPC::Id': shape('vpc', 'a VPC ID'),
};

/** What an EC2 ID looks like, for checks and for messages. */
export interface Ec2IdShape {
  pattern: RegExp;
  /** "an AMI ID" */
  noun: string;
  /** The shape in words: `"ami-" followed by 8 or 17 lowercase hex digits`. */
  shape: string;
  example: string;
}

function shape(prefix: string, noun: string): Ec2IdShape {
  return { pattern: ec2Id(prefix), noun, shape: `"${prefix}-" followed by 8 or 17 lowercase hex digits`, example: `${prefix}-0123456789abcdef0` };
}
