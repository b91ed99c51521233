"""
moto_server with the project's labelled moto patches applied first (each file says what it
patches, why, and which test notices when moto no longer needs it). Arguments as moto_server's.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cloudformation_previous_values  # noqa: E402,F401  (applies the patch on import)
import elbv2_forward_config  # noqa: E402,F401  (applies the patch on import)
import elbv2_load_balancer_update  # noqa: E402,F401  (applies the patch on import)
import image_deregistration_protection  # noqa: E402,F401  (applies the patch on import)
import cloudwatch_alarms  # noqa: E402,F401  (applies the patch on import)
import ec2_cross_account_copy  # noqa: E402,F401  (applies the patch on import)
import cloudformation_get_azs  # noqa: E402,F401  (applies the patch on import)
# After cloudformation_previous_values: it wraps the CreateChangeSet that one patched.
import cloudformation_monitoring_window  # noqa: E402,F401  (applies the patch on import)
import ec2_encrypted_amis  # noqa: E402,F401  (applies the patch on import; after ec2_cross_account_copy, whose CopyImage it wraps)
import kms_aws_managed_ebs_key  # noqa: E402,F401  (applies the patch on import)
import kms_cloudformation_key_policy  # noqa: E402,F401  (applies the patch on import)
import cloudformation_update_previous_values  # noqa: E402,F401  (applies the patch on import)
from moto.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
