/*
 * iam_role.c — what a Lambda function may do as its execution role, and
 * the AWS managed policies roles can attach.
 *
 * A Lua handler's aws.dynamodb calls are checked here (with --auth enforce)
 * against the role's inline policies and its attached managed policies,
 * read from the store on each call so IAM API changes apply at once. The
 * caller is named as AWS names a Lambda's session:
 * arn:aws:sts::<account>:assumed-role/<role>/<function>.
 */
#include "iam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "iam_store.h"

typedef struct managed { const char *arn; const char *doc; } managed;

/* The documents exactly as AWS publishes them (the default versions:
 * AWSLambdaBasicExecutionRole v1, AmazonDynamoDBFullAccess v15,
 * AmazonDynamoDBReadOnlyAccess v15 of 2024-11-18), so a role that works here
 * has the same rights in the cloud. Note ReadOnlyAccess grants no
 * dynamodb:ConditionCheckItem: a TransactWriteItems condition check needs
 * more than the read-only policy, on AWS as here. */
static const managed managed_policies[] = {
    { "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"logs:CreateLogGroup\","
      "\"logs:CreateLogStream\",\"logs:PutLogEvents\"],\"Resource\":\"*\"}]}" },
    { "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":[\"dynamodb:*\",\"dax:*\","
      "\"application-autoscaling:DeleteScalingPolicy\",\"application-autoscaling:DeregisterScalableTarget\","
      "\"application-autoscaling:DescribeScalableTargets\","
      "\"application-autoscaling:DescribeScalingActivities\","
      "\"application-autoscaling:DescribeScalingPolicies\",\"application-autoscaling:PutScalingPolicy\","
      "\"application-autoscaling:RegisterScalableTarget\",\"cloudwatch:DeleteAlarms\","
      "\"cloudwatch:DescribeAlarmHistory\",\"cloudwatch:DescribeAlarms\",\"cloudwatch:DescribeAlarmsForMetric\","
      "\"cloudwatch:GetMetricStatistics\",\"cloudwatch:ListMetrics\",\"cloudwatch:PutMetricAlarm\","
      "\"cloudwatch:GetMetricData\",\"datapipeline:ActivatePipeline\",\"datapipeline:CreatePipeline\","
      "\"datapipeline:DeletePipeline\",\"datapipeline:DescribeObjects\",\"datapipeline:DescribePipelines\","
      "\"datapipeline:GetPipelineDefinition\",\"datapipeline:ListPipelines\","
      "\"datapipeline:PutPipelineDefinition\",\"datapipeline:QueryObjects\",\"ec2:DescribeVpcs\","
      "\"ec2:DescribeSubnets\",\"ec2:DescribeSecurityGroups\",\"iam:GetRole\",\"iam:ListRoles\",\"kms:DescribeKey\","
      "\"kms:ListAliases\",\"sns:CreateTopic\",\"sns:DeleteTopic\",\"sns:ListSubscriptions\","
      "\"sns:ListSubscriptionsByTopic\",\"sns:ListTopics\",\"sns:Subscribe\",\"sns:Unsubscribe\","
      "\"sns:SetTopicAttributes\",\"lambda:CreateFunction\",\"lambda:ListFunctions\","
      "\"lambda:ListEventSourceMappings\",\"lambda:CreateEventSourceMapping\","
      "\"lambda:DeleteEventSourceMapping\",\"lambda:GetFunctionConfiguration\",\"lambda:DeleteFunction\","
      "\"resource-groups:ListGroups\",\"resource-groups:ListGroupResources\",\"resource-groups:GetGroup\","
      "\"resource-groups:GetGroupQuery\",\"resource-groups:DeleteGroup\",\"resource-groups:CreateGroup\","
      "\"tag:GetResources\",\"kinesis:ListStreams\",\"kinesis:DescribeStream\","
      "\"kinesis:DescribeStreamSummary\"],\"Effect\":\"Allow\","
      "\"Resource\":\"*\"},{\"Action\":\"cloudwatch:GetInsightRuleReport\",\"Effect\":\"Allow\","
      "\"Resource\":\"arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*\"},{\"Action\":[\"iam:PassRole\"],\"Effect\":\"Allow\","
      "\"Resource\":\"*\","
      "\"Condition\":{\"StringLike\":{\"iam:PassedToService\":[\"application-autoscaling.amazonaws.com\","
      "\"application-autoscaling.amazonaws.com.cn\",\"dax.amazonaws.com\"]}}},{\"Effect\":\"Allow\","
      "\"Action\":[\"iam:CreateServiceLinkedRole\"],\"Resource\":\"*\","
      "\"Condition\":{\"StringEquals\":{\"iam:AWSServiceName\":[\"replication.dynamodb.amazonaws.com\","
      "\"dax.amazonaws.com\",\"dynamodb.application-autoscaling.amazonaws.com\","
      "\"contributorinsights.dynamodb.amazonaws.com\",\"kinesisreplication.dynamodb.amazonaws.com\"]}}}]}" },
    { "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"GeneralReadOnlyAccess\","
      "\"Action\":[\"application-autoscaling:DescribeScalableTargets\","
      "\"application-autoscaling:DescribeScalingActivities\","
      "\"application-autoscaling:DescribeScalingPolicies\",\"cloudwatch:DescribeAlarmHistory\","
      "\"cloudwatch:DescribeAlarms\",\"cloudwatch:DescribeAlarmsForMetric\",\"cloudwatch:GetMetricStatistics\","
      "\"cloudwatch:ListMetrics\",\"cloudwatch:GetMetricData\",\"datapipeline:DescribeObjects\","
      "\"datapipeline:DescribePipelines\",\"datapipeline:GetPipelineDefinition\",\"datapipeline:ListPipelines\","
      "\"datapipeline:QueryObjects\",\"dynamodb:BatchGetItem\",\"dynamodb:Describe*\",\"dynamodb:List*\","
      "\"dynamodb:GetAbacStatus\",\"dynamodb:GetItem\",\"dynamodb:GetResourcePolicy\",\"dynamodb:Query\","
      "\"dynamodb:Scan\",\"dynamodb:PartiQLSelect\",\"dax:Describe*\",\"dax:List*\",\"dax:GetItem\","
      "\"dax:BatchGetItem\",\"dax:Query\",\"dax:Scan\",\"ec2:DescribeVpcs\",\"ec2:DescribeSubnets\","
      "\"ec2:DescribeSecurityGroups\",\"iam:GetRole\",\"iam:ListRoles\",\"kms:DescribeKey\",\"kms:ListAliases\","
      "\"sns:ListSubscriptionsByTopic\",\"sns:ListTopics\",\"lambda:ListFunctions\","
      "\"lambda:ListEventSourceMappings\",\"lambda:GetFunctionConfiguration\",\"resource-groups:ListGroups\","
      "\"resource-groups:ListGroupResources\",\"resource-groups:GetGroup\",\"resource-groups:GetGroupQuery\","
      "\"tag:GetResources\",\"kinesis:ListStreams\",\"kinesis:DescribeStream\","
      "\"kinesis:DescribeStreamSummary\"],\"Effect\":\"Allow\",\"Resource\":\"*\"},{\"Sid\":\"CCIAccess\","
      "\"Action\":\"cloudwatch:GetInsightRuleReport\",\"Effect\":\"Allow\","
      "\"Resource\":\"arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*\"}]}" },
};

const char *iam_managed_policy(const char *arn)
{
    for (size_t i = 0; i < sizeof managed_policies / sizeof managed_policies[0]; i++)
        if (strcmp(managed_policies[i].arn, arn) == 0) return managed_policies[i].doc;
    return NULL;
}

#define DENY(err, ...) hg_err_set((err), 400, "AccessDeniedException", __VA_ARGS__)

int iam_role_authorize(const char *role_arn, const char *function, const char *action,
                       const char *resource, const char *region, hg_err *err)
{
    if (!hg_cfg.auth_enforce) return 0;
    const char *slash = role_arn ? strrchr(role_arn, '/') : NULL;
    const char *role = slash ? slash + 1 : "";
    char session[512];
    snprintf(session, sizeof session, "arn:aws:sts::%s:assumed-role/%.128s/%.140s", hg_cfg.account_id, role,
             function ? function : "lambda");
    if (!*role)
        return DENY(err, "User: %s is not authorized to perform: %s on resource: %s because the function has no "
                    "execution role", session, action, resource);
    hg_store *s = hg_store_get(err);
    if (!s) return -1;
    char *text = NULL;
    int rc = iam_store_role_get(s, role, &text, err);
    if (rc < 0) return -1;
    if (rc == 1)
        return DENY(err, "User: %s is not authorized to perform: %s on resource: %s because the role %s does not exist",
                    session, action, resource, role);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    cJSON *policies = cJSON_CreateArray();
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "Inline"))
        cJSON_AddItemReferenceToArray(policies, (cJSON *)p);
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "Attached")) {
        const char *m = cJSON_IsString(p) ? iam_managed_policy(p->valuestring) : NULL;
        if (m) cJSON_AddItemToArray(policies, cJSON_Parse(m));
    }
    iam_context ctx = { .principal_arn = session, .account = hg_cfg.account_id, .region = region,
                        .username = NULL, .userid = NULL };
    iam_decision d = iam_evaluate(policies, action, resource, &ctx);
    cJSON_Delete(policies);
    cJSON_Delete(doc);
    if (d == IAM_ALLOW) return 0;
    if (d == IAM_EXPLICIT_DENY)
        return DENY(err, "User: %s is not authorized to perform: %s on resource: %s with an explicit deny in an "
                    "identity-based policy", session, action, resource);
    return DENY(err, "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy "
                "allows the %s action", session, action, resource, action);
}
