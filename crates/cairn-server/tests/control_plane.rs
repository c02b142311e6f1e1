//! Control-plane answers as DynamoDB gives them (issue 13, areas 6 and 10):
//! DescribeEndpoints, DescribeLimits, DescribeContinuousBackups, DeleteTable's
//! DELETING description, UpdateTable with nothing to change, and BillingModeSummary
//! and ProvisionedThroughput across billing-mode switches.

mod common;

use common::{call, create_simple_table, memory_engine};
use serde_json::{json, Value};

#[test]
fn describe_endpoints_names_the_regional_endpoint_for_a_day() {
    let engine = memory_engine();
    let out = call(&engine, "DescribeEndpoints", json!({})).unwrap();
    assert_eq!(
        out,
        json!({"Endpoints": [{"Address": "dynamodb.us-east-1.amazonaws.com", "CachePeriodInMinutes": 1440}]})
    );
}

#[test]
fn describe_limits_reports_dynamodbs_default_quotas() {
    let engine = memory_engine();
    let out = call(&engine, "DescribeLimits", json!({})).unwrap();
    assert_eq!(
        out,
        json!({"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
               "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000})
    );
}

#[test]
fn describe_continuous_backups_of_a_table_without_pitr() {
    let engine = memory_engine();
    create_simple_table(&engine, "backed");
    let out = call(&engine, "DescribeContinuousBackups", json!({"TableName": "backed"})).unwrap();
    assert_eq!(
        out,
        json!({"ContinuousBackupsDescription": {"ContinuousBackupsStatus": "ENABLED",
               "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}})
    );
}

#[test]
fn describe_continuous_backups_of_a_missing_table_is_table_not_found() {
    let engine = memory_engine();
    let error = call(&engine, "DescribeContinuousBackups", json!({"TableName": "absent"})).unwrap_err();
    assert_eq!(
        error,
        (
            "TableNotFoundException".to_string(),
            "Table not found: absent".to_string()
        )
    );
}

#[test]
fn delete_table_answers_with_the_deleting_fields_only() {
    let engine = memory_engine();
    create_simple_table(&engine, "doomed");
    let out = call(&engine, "DeleteTable", json!({"TableName": "doomed"})).unwrap();
    let description = out["TableDescription"].as_object().unwrap();
    let mut fields: Vec<&str> = description.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "BillingModeSummary",
            "DeletionProtectionEnabled",
            "ItemCount",
            "ProvisionedThroughput",
            "TableArn",
            "TableId",
            "TableName",
            "TableSizeBytes",
            "TableStatus"
        ]
    );
    assert_eq!(description["TableStatus"], "DELETING");
}

fn update_table(engine: &cairn_engine::Engine, body: Value) -> Result<Value, (String, String)> {
    call(engine, "UpdateTable", body)
}

const NOTHING: &str = "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required";

#[test]
fn update_table_with_nothing_to_change_is_refused() {
    let engine = memory_engine();
    create_simple_table(&engine, "still");
    let error = update_table(&engine, json!({"TableName": "still"})).unwrap_err();
    assert_eq!(error, ("ValidationException".to_string(), NOTHING.to_string()));
    update_table(
        &engine,
        json!({"TableName": "still", "DeletionProtectionEnabled": false}),
    )
    .unwrap();
}

#[test]
fn update_table_with_nothing_to_change_is_refused_before_the_table_is_looked_up() {
    let engine = memory_engine();
    let (kind, message) = update_table(&engine, json!({"TableName": "absent"})).unwrap_err();
    assert_eq!((kind.as_str(), message.as_str()), ("ValidationException", NOTHING));
}

#[test]
fn an_empty_list_of_index_updates_is_nothing_to_change_and_left_out_of_the_message() {
    let engine = memory_engine();
    create_simple_table(&engine, "still");
    let (_, message) = update_table(
        &engine,
        json!({"TableName": "still", "GlobalSecondaryIndexUpdates": []}),
    )
    .unwrap_err();
    assert_eq!(message, NOTHING.replace("GlobalSecondaryIndexUpdates, ", ""));
}

fn describe(engine: &cairn_engine::Engine) -> Value {
    call(engine, "DescribeTable", json!({"TableName": "switch"})).unwrap()["Table"].clone()
}

#[test]
fn create_table_answers_the_billing_mode_without_a_date() {
    let engine = memory_engine();
    let out = call(
        &engine,
        "CreateTable",
        json!({"TableName": "switch", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
    )
    .unwrap();
    assert_eq!(
        out["TableDescription"]["BillingModeSummary"],
        json!({"BillingMode": "PAY_PER_REQUEST"})
    );
    let created = describe(&engine);
    assert_eq!(
        created["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"],
        created["CreationDateTime"]
    );
}

#[test]
fn switching_on_demand_to_provisioned_and_back_reports_what_dynamodb_reports() {
    let engine = memory_engine();
    create_simple_table(&engine, "switch");
    let created = describe(&engine);
    let created_at = created["CreationDateTime"].clone();
    assert_eq!(
        created["ProvisionedThroughput"],
        json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0})
    );

    update_table(
        &engine,
        json!({"TableName": "switch", "BillingMode": "PROVISIONED",
               "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
    )
    .unwrap();
    let provisioned = describe(&engine);
    assert_eq!(
        provisioned["BillingModeSummary"],
        json!({"BillingMode": "PROVISIONED", "LastUpdateToPayPerRequestDateTime": created_at})
    );
    assert_eq!(
        provisioned["ProvisionedThroughput"],
        json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    );

    update_table(
        &engine,
        json!({"TableName": "switch", "BillingMode": "PAY_PER_REQUEST"}),
    )
    .unwrap();
    let back = describe(&engine);
    assert_eq!(back["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    assert!(
        back["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"]
            .as_f64()
            .unwrap()
            >= created_at.as_f64().unwrap()
    );
    assert_eq!(back["ProvisionedThroughput"]["ReadCapacityUnits"], 0);
    assert_eq!(back["ProvisionedThroughput"]["WriteCapacityUnits"], 0);
}

#[test]
fn a_table_created_provisioned_has_no_billing_summary() {
    let engine = memory_engine();
    call(
        &engine,
        "CreateTable",
        json!({"TableName": "switch", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}),
    )
    .unwrap();
    assert!(describe(&engine).get("BillingModeSummary").is_none());
}

fn create_with(engine: &cairn_engine::Engine, extra: Value) -> Result<Value, (String, String)> {
    let mut body = json!({"TableName": "shaped", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                          "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    call(engine, "CreateTable", body)
}

fn gsi_with(projection: Value) -> Value {
    json!({"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
           "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": projection}]})
}

#[test]
fn a_duplicated_attribute_definition_is_refused() {
    let engine = memory_engine();
    let (kind, message) = create_with(
        &engine,
        json!({"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "pk", "AttributeType": "N"}]}),
    )
    .unwrap_err();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("ValidationException", "Attribute Name is duplicated: pk")
    );
}

#[test]
fn table_and_index_names_of_256_characters_fail_their_constraints() {
    let engine = memory_engine();
    let long = "t".repeat(256);
    let (_, message) = create_with(&engine, json!({"TableName": long})).unwrap_err();
    assert!(
        message.ends_with(
            "at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255"
        ),
        "{message}"
    );
    let mut index = gsi_with(json!({"ProjectionType": "ALL"}));
    index["GlobalSecondaryIndexes"][0]["IndexName"] = json!("i".repeat(256));
    let (_, message) = create_with(&engine, index).unwrap_err();
    assert!(message.contains("at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length less than or equal to 255"), "{message}");
    create_with(&engine, json!({"TableName": "t".repeat(255)})).unwrap();
}

#[test]
fn an_include_projection_needs_its_attributes() {
    let engine = memory_engine();
    let (_, message) = create_with(&engine, gsi_with(json!({"ProjectionType": "INCLUDE"}))).unwrap_err();
    assert_eq!(
        message,
        "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified"
    );
}

#[test]
fn projected_attributes_may_not_repeat() {
    let engine = memory_engine();
    let (_, message) = create_with(
        &engine,
        gsi_with(json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "a"]})),
    )
    .unwrap_err();
    assert_eq!(message, "Cannot have two attributes with the same name");
    create_with(
        &engine,
        gsi_with(json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]})),
    )
    .unwrap();
}

#[test]
fn an_all_projection_takes_no_attribute_list() {
    let engine = memory_engine();
    let (_, message) = create_with(
        &engine,
        gsi_with(json!({"ProjectionType": "ALL", "NonKeyAttributes": ["a"]})),
    )
    .unwrap_err();
    assert_eq!(
        message,
        "One or more parameter values were invalid: ProjectionType is ALL, but NonKeyAttributes is specified"
    );
}

#[test]
fn each_index_update_names_exactly_one_action() {
    let engine = memory_engine();
    create_simple_table(&engine, "base");
    let update = |entry: Value| {
        call(
            &engine,
            "UpdateTable",
            json!({"TableName": "base", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
                   "GlobalSecondaryIndexUpdates": [entry]}),
        )
    };
    let create = json!({"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}});
    for entry in [json!({}), json!({"Create": create, "Delete": {"IndexName": "other"}})] {
        let (kind, message) = update(entry).unwrap_err();
        assert_eq!(kind, "ValidationException");
        assert!(
            message.contains("Exactly one of GlobalSecondaryIndexUpdate.Create"),
            "{message}"
        );
    }
    update(json!({"Create": create})).unwrap();
    let (kind, message) = update(json!({"Delete": {"IndexName": "nope"}})).unwrap_err();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "ResourceNotFoundException",
            "Requested resource not found: Index: nope not found"
        )
    );
}
