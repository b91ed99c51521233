"""
PATCH of moto (labelled; see docs/moto.md #18 and docs/local.md). moto 5.2 has three gaps the
promotion's soak check falls into:

0. Its botocore (1.35) models CloudWatch with the query protocol only, and moto refuses anything
   else ("Unsupported protocol [json]"). CloudWatch also speaks JSON 1.0 (target prefix
   GraniteServiceVersion20100801), and that is what the AWS SDK for JavaScript v3 sends: without
   this, no CloudWatch call of the actions reaches moto at all.
1. Its CloudFormation skips `AWS::CloudWatch::Alarm` ("No Moto CloudFormation support"), so the app
   stack's two rollback alarms (templates/app.yaml) never exist locally, although moto's own
   PutMetricAlarm creates the same alarms.
   The app template's alarms name their load balancer and target group by
   `!GetAtt AppLoadBalancer.LoadBalancerFullName` and `!GetAtt AppTargetGroup.TargetGroupFullName`,
   which moto does not answer either (NotImplementedError; no get_cfn_attribute at all).
2. It has no DescribeAlarmHistory, although botocore models it and moto keeps every state change
   of an alarm (`Alarm.history`, appended by SetAlarmState).

What it changes: (0) adds "json" to the protocols moto accepts for CloudWatch (moto's own JSON
parser and serializer then answer it from the same operation models); (1) registers a CloudFormation resource type for AWS::CloudWatch::Alarm that
creates, updates and deletes the alarm through moto's own `put_metric_alarm` and `delete_alarms`
(an update keeps the alarm's state and history, as CloudWatch does); Ref gives the alarm name, as
on AWS; LoadBalancerFullName and TargetGroupFullName answer the part of the ARN after
"loadbalancer/" or the last ":", as AWS defines them ("app/<name>/<id>", "targetgroup/<name>/<id>"). (2) serves DescribeAlarmHistory from moto's recorded state changes as StateUpdate items
(HistoryData JSON with oldState/newState, summary "Alarm updated from OK to ALARM"), filtered by
AlarmName, HistoryItemType, StartDate and EndDate, newest first unless ScanBy says otherwise.
What it does not: ConfigurationUpdate and Action items, MaxRecords/NextToken paging (one page),
composite alarms' history, `!GetAtt Alarm.Arn`, and moto's alarms never evaluate metrics (their
state changes only by SetAlarmState). Alarms that fire by themselves are proved only on AWS.

test/integration/moto-patches.test.ts fails as soon as moto has either piece itself: then delete
the piece (or this file and its import in serve.py).
"""
import json
from datetime import datetime, timezone
from typing import Any

from moto.cloudformation.parsing import get_model_map
from moto.cloudwatch.models import Alarm, Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup

CFN_TYPE = "AWS::CloudWatch::Alarm"
_CLOUDWATCH_METADATA = get_service_model("cloudwatch").metadata
MOTO_SPEAKS_JSON = "json" in _CLOUDWATCH_METADATA.get("protocols", [_CLOUDWATCH_METADATA["protocol"]])
MOTO_HAS_CFN_ALARM = CFN_TYPE in {model.cloudformation_type() for model in CloudFormationModel.__subclasses__()}
MOTO_HAS_FULL_NAMES = hasattr(FakeTargetGroup, "get_cfn_attribute")
MOTO_HAS_HISTORY = hasattr(CloudWatchResponse, "describe_alarm_history")


def _queries(metrics: list[dict[str, Any]]) -> list[MetricDataQuery]:
    """The template's Metrics as moto's PutMetricAlarm builds them from the API's."""
    queries = []
    for m in metrics:
        stat = m.get("MetricStat")
        metric_stat = None
        if stat:
            metric = stat["Metric"]
            dimensions = [Dimension(name=d["Name"], value=d["Value"]) for d in metric.get("Dimensions", [])]
            metric_stat = MetricStat(Metric(metric["MetricName"], metric.get("Namespace"), dimensions), stat.get("Period"), stat.get("Stat"), stat.get("Unit"))
        queries.append(MetricDataQuery(m.get("Id"), m.get("Label"), m.get("Period"), m.get("ReturnData"), m.get("Expression"), metric_stat))
    return queries


def _put(name: str, props: dict[str, Any], account_id: str, region_name: str) -> Alarm:
    return cloudwatch_backends[account_id][region_name].put_metric_alarm(
        name=name,
        namespace=props.get("Namespace"),
        metric_name=props.get("MetricName"),
        metric_data_queries=_queries(props.get("Metrics", [])) or None,
        comparison_operator=props.get("ComparisonOperator"),
        evaluation_periods=int(props.get("EvaluationPeriods", 1)),
        datapoints_to_alarm=int(props["DatapointsToAlarm"]) if "DatapointsToAlarm" in props else None,
        period=int(props["Period"]) if "Period" in props else None,
        threshold=float(props["Threshold"]) if "Threshold" in props else None,
        statistic=props.get("Statistic"),
        extended_statistic=props.get("ExtendedStatistic"),
        description=props.get("AlarmDescription"),
        dimensions=props.get("Dimensions", []),
        alarm_actions=props.get("AlarmActions", []),
        ok_actions=props.get("OKActions", []),
        insufficient_data_actions=props.get("InsufficientDataActions", []),
        unit=props.get("Unit"),
        actions_enabled=str(props.get("ActionsEnabled", "true")).lower() == "true",
        treat_missing_data=props.get("TreatMissingData"),
        evaluate_low_sample_count_percentile=props.get("EvaluateLowSampleCountPercentile"),
        threshold_metric_id=props.get("ThresholdMetricId"),
    )


def _aware(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _state_changes(alarm: Alarm) -> list[dict[str, Any]]:
    """
    moto's `history` holds, per SetAlarmState, the state the alarm LEFT and when it had entered it
    (StateUpdate, reason, reason data, value, timestamp); the state it entered is the next entry,
    or the alarm's current state for the last one.
    """
    left = [entry for entry in alarm.history if entry[0] == "StateUpdate"]
    entered = [(e[1], e[2], e[3], e[4]) for e in left[1:]] + [(alarm.state_reason, alarm.state_reason_data, alarm.state_value, alarm.state_updated_timestamp)]
    items = []
    for (_, old_reason, _, old_value, _), (new_reason, new_data, new_value, at) in zip(left, entered):
        history = {
            "version": "1.0",
            "oldState": {"stateValue": old_value, "stateReason": old_reason},
            "newState": {"stateValue": new_value, "stateReason": new_reason, "stateReasonData": json.loads(new_data or "{}")},
        }
        items.append({
            "AlarmName": alarm.name,
            "AlarmType": "MetricAlarm",
            "Timestamp": _aware(at),
            "HistoryItemType": "StateUpdate",
            "HistorySummary": f"Alarm updated from {old_value} to {new_value}",
            "HistoryData": json.dumps(history),
        })
    return items


def describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
    name = self._get_param("AlarmName")
    item_type = self._get_param("HistoryItemType")
    start, end = _aware(self._get_param("StartDate")), _aware(self._get_param("EndDate"))
    alarms = [a for a in self.cloudwatch_backend.alarms.values() if name in (None, a.name)]
    items = [i for a in alarms for i in _state_changes(a) if item_type in (None, "StateUpdate")]
    items = [i for i in items if (start is None or i["Timestamp"] >= start) and (end is None or i["Timestamp"] <= end)]
    items.sort(key=lambda i: i["Timestamp"], reverse=self._get_param("ScanBy") != "TimestampAscending")
    return ActionResult({"AlarmHistoryItems": items})


if not MOTO_SPEAKS_JSON:
    # get_service_model is cached: every CloudWatch request moto parses reads this same metadata.
    _CLOUDWATCH_METADATA["protocols"] = [_CLOUDWATCH_METADATA["protocol"], "json"]
    _CLOUDWATCH_METADATA.setdefault("jsonVersion", "1.0")
    _CLOUDWATCH_METADATA.setdefault("targetPrefix", "GraniteServiceVersion20100801")
if not MOTO_HAS_CFN_ALARM:
    class CloudFormationAlarm(Alarm, CloudFormationModel):
        """
        AWS::CloudWatch::Alarm in a stack: moto's own Alarm, made by its PutMetricAlarm, then given
        this class so CloudFormation can treat it as a resource (is_created, Ref).
        """

        # moto's model metaclass files every model under the service its module path names.
        __module__ = "moto.cloudwatch.models"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @staticmethod
        def cloudformation_type() -> str:
            return CFN_TYPE

        @property
        def physical_resource_id(self) -> str:
            # Ref of an alarm is its name on AWS.
            return self.name

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Alarm:  # type: ignore[misc]
            return cls._adopt(_put(resource_name, cloudformation_json["Properties"], account_id, region_name))

        @classmethod
        def _adopt(cls, alarm: Alarm) -> Alarm:
            alarm.__class__ = cls
            return alarm

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Alarm, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> Alarm:  # type: ignore[misc]
            backend = cloudwatch_backends[account_id][region_name]
            if new_resource_name != original_resource.name:
                backend.delete_alarms([original_resource.name])
            alarm = _put(new_resource_name, cloudformation_json["Properties"], account_id, region_name)
            if new_resource_name == original_resource.name:
                # CloudWatch keeps an alarm's state and history across a configuration change.
                alarm.history = original_resource.history
                alarm.state_value, alarm.state_reason, alarm.state_reason_data, alarm.state_updated_timestamp = (
                    original_resource.state_value,
                    original_resource.state_reason,
                    original_resource.state_reason_data,
                    original_resource.state_updated_timestamp,
                )
            return cls._adopt(alarm)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> None:  # type: ignore[misc]
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    # moto's serializer finds AlarmName as `name` by the class name's prefix ("Alarm"): keep it.
    CloudFormationAlarm.__name__ = CloudFormationAlarm.__qualname__ = Alarm.__name__

    get_model_map.cache_clear()
if not MOTO_HAS_FULL_NAMES:
    _moto_lb_attribute = FakeLoadBalancer.get_cfn_attribute

    def _load_balancer_attribute(self: FakeLoadBalancer, attribute_name: str) -> Any:
        if attribute_name == "LoadBalancerFullName":
            return self.arn.split(":loadbalancer/", 1)[1]
        return _moto_lb_attribute(self, attribute_name)

    def _target_group_attribute(self: FakeTargetGroup, attribute_name: str) -> Any:
        if attribute_name == "TargetGroupFullName":
            return self.arn.rsplit(":", 1)[1]
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    FakeLoadBalancer.get_cfn_attribute = _load_balancer_attribute  # type: ignore[method-assign]
    FakeTargetGroup.get_cfn_attribute = _target_group_attribute  # type: ignore[attr-defined]
if not MOTO_HAS_HISTORY:
    CloudWatchResponse.describe_alarm_history = describe_alarm_history  # type: ignore[attr-defined]
