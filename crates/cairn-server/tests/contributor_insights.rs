//! Contributor Insights: the three operations with DynamoDB's shapes and errors, and
//! the keys a workload made hot (most accessed by consumed capacity, most throttled)
//! in `Engine::contributor_report`, which `GET /_cairn/contributor-insights` serves.

mod common;

use cairn_engine::Engine;
use common::call;
use serde_json::{json, Value};

fn engine(enforce: bool) -> Engine {
    common::stopped_clock_engine(enforce)
}

/// A table `name` with hash key pk, optional sort key sk and a GSI `byG` on g.
fn create(engine: &Engine, name: &str, sort_key: bool, extra: Value) {
    let mut defs = vec![
        json!({"AttributeName": "pk", "AttributeType": "S"}),
        json!({"AttributeName": "g", "AttributeType": "S"}),
    ];
    let mut schema = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
    if sort_key {
        defs.push(json!({"AttributeName": "sk", "AttributeType": "S"}));
        schema.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
    }
    let mut body = json!({"TableName": name, "AttributeDefinitions": defs, "KeySchema": schema,
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(engine, "CreateTable", body).unwrap();
}

fn enable(engine: &Engine, table: &str, mode: Option<&str>) -> Value {
    let mut body = json!({"TableName": table, "ContributorInsightsAction": "ENABLE"});
    if let Some(mode) = mode {
        body["ContributorInsightsMode"] = json!(mode);
    }
    call(engine, "UpdateContributorInsights", body).unwrap()
}

fn put(engine: &Engine, table: &str, pk: &str, sk: Option<&str>) -> Result<Value, (String, String)> {
    let mut item = json!({"pk": {"S": pk}, "g": {"S": "x"}});
    if let Some(sk) = sk {
        item["sk"] = json!({"S": sk});
    }
    call(engine, "PutItem", json!({"TableName": table, "Item": item}))
}

fn report(engine: &Engine, table: &str) -> Value {
    serde_json::to_value(engine.contributor_report("us-east-1", table, None).unwrap()).unwrap()
}

#[test]
fn a_table_starts_with_contributor_insights_disabled() {
    let e = engine(false);
    create(&e, "fresh", false, json!({}));
    let out = call(&e, "DescribeContributorInsights", json!({"TableName": "fresh"})).unwrap();
    assert_eq!(
        out,
        json!({"TableName": "fresh", "ContributorInsightsRuleList": [], "ContributorInsightsStatus": "DISABLED"})
    );
}

#[test]
fn enabling_answers_enabling_then_describes_enabled_with_its_rules() {
    let e = engine(false);
    create(&e, "cit", true, json!({}));
    let out = enable(&e, "cit", None);
    assert_eq!(
        out,
        json!({"TableName": "cit", "ContributorInsightsStatus": "ENABLING",
               "ContributorInsightsMode": "ACCESSED_AND_THROTTLED_KEYS"})
    );
    let out = call(&e, "DescribeContributorInsights", json!({"TableName": "cit"})).unwrap();
    assert_eq!(out["ContributorInsightsStatus"], "ENABLED");
    assert_eq!(out["ContributorInsightsMode"], "ACCESSED_AND_THROTTLED_KEYS");
    assert_eq!(out["LastUpdateDateTime"], json!(1_900_000_000.0));
    let rules: Vec<&str> = out["ContributorInsightsRuleList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "DynamoDBContributorInsights-PKC-cit-1900000000000",
            "DynamoDBContributorInsights-PKT-cit-1900000000000",
            "DynamoDBContributorInsights-SKC-cit-1900000000000",
            "DynamoDBContributorInsights-SKT-cit-1900000000000"
        ]
    );
}

#[test]
fn throttled_keys_mode_runs_only_the_throttled_rules() {
    let e = engine(false);
    create(&e, "quiet", false, json!({}));
    enable(&e, "quiet", Some("THROTTLED_KEYS"));
    let out = call(&e, "DescribeContributorInsights", json!({"TableName": "quiet"})).unwrap();
    assert_eq!(
        out["ContributorInsightsRuleList"],
        json!(["DynamoDBContributorInsights-PKT-quiet-1900000000000"])
    );
    assert_eq!(out["ContributorInsightsMode"], "THROTTLED_KEYS");
}

#[test]
fn disabling_answers_disabling_then_describes_disabled() {
    let e = engine(false);
    create(&e, "off", false, json!({}));
    enable(&e, "off", None);
    let out = call(
        &e,
        "UpdateContributorInsights",
        json!({"TableName": "off", "ContributorInsightsAction": "DISABLE"}),
    )
    .unwrap();
    assert_eq!(out["ContributorInsightsStatus"], "DISABLING");
    let out = call(&e, "DescribeContributorInsights", json!({"TableName": "off"})).unwrap();
    assert_eq!(out["ContributorInsightsStatus"], "DISABLED");
    assert_eq!(out["ContributorInsightsRuleList"], json!([]));
}

#[test]
fn contributor_insights_on_a_missing_table_is_resource_not_found() {
    let e = engine(false);
    let error = call(&e, "DescribeContributorInsights", json!({"TableName": "nope"})).unwrap_err();
    assert_eq!(
        error,
        (
            "ResourceNotFoundException".to_string(),
            "Requested resource not found: Table: nope not found".to_string()
        )
    );
    create(&e, "yes", false, json!({}));
    call(&e, "DescribeContributorInsights", json!({"TableName": "yes"})).unwrap();
}

#[test]
fn contributor_insights_on_a_missing_index_is_resource_not_found() {
    let e = engine(false);
    create(&e, "idx", false, json!({}));
    let error = call(
        &e,
        "UpdateContributorInsights",
        json!({"TableName": "idx", "IndexName": "noSuch", "ContributorInsightsAction": "ENABLE"}),
    )
    .unwrap_err();
    assert_eq!(error.0, "ResourceNotFoundException");
    assert_eq!(
        error.1,
        "Requested resource not found: Index: noSuch not found for table: idx"
    );
    let out = call(
        &e,
        "UpdateContributorInsights",
        json!({"TableName": "idx", "IndexName": "byG", "ContributorInsightsAction": "ENABLE"}),
    )
    .unwrap();
    assert_eq!(out["IndexName"], "byG");
}

#[test]
fn the_table_may_be_named_by_its_arn() {
    let e = engine(false);
    create(&e, "byarn", false, json!({}));
    let out = call(
        &e,
        "DescribeContributorInsights",
        json!({"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/byarn"}),
    )
    .unwrap();
    assert_eq!(out["TableName"], "byarn");
}

#[test]
fn an_unknown_action_or_mode_is_a_validation_error() {
    let e = engine(false);
    create(&e, "val", false, json!({}));
    let error = call(
        &e,
        "UpdateContributorInsights",
        json!({"TableName": "val", "ContributorInsightsAction": "PAUSE"}),
    )
    .unwrap_err();
    assert_eq!(error.0, "ValidationException");
    assert_eq!(
        error.1,
        "1 validation error detected: Value 'PAUSE' at 'contributorInsightsAction' failed to satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]"
    );
    let error = call(
        &e,
        "UpdateContributorInsights",
        json!({"TableName": "val", "ContributorInsightsAction": "ENABLE", "ContributorInsightsMode": "ALL"}),
    )
    .unwrap_err();
    assert_eq!(error.0, "ValidationException");
    let error = call(&e, "UpdateContributorInsights", json!({"TableName": "val"})).unwrap_err();
    assert_eq!(
        error.1,
        "1 validation error detected: Value null at 'contributorInsightsAction' failed to satisfy constraint: Member must not be null"
    );
    enable(&e, "val", Some("THROTTLED_KEYS"));
}

#[test]
fn list_contributor_insights_names_each_table_and_index_and_pages() {
    let e = engine(false);
    create(&e, "aaa", false, json!({}));
    create(&e, "bbb", false, json!({}));
    enable(&e, "bbb", None);
    let out = call(&e, "ListContributorInsights", json!({})).unwrap();
    assert_eq!(
        out["ContributorInsightsSummaries"],
        json!([
            {"TableName": "aaa", "ContributorInsightsStatus": "DISABLED"},
            {"TableName": "aaa", "IndexName": "byG", "ContributorInsightsStatus": "DISABLED"},
            {"TableName": "bbb", "ContributorInsightsStatus": "ENABLED", "ContributorInsightsMode": "ACCESSED_AND_THROTTLED_KEYS"},
            {"TableName": "bbb", "IndexName": "byG", "ContributorInsightsStatus": "DISABLED"}
        ])
    );
    let first = call(&e, "ListContributorInsights", json!({"MaxResults": 3})).unwrap();
    assert_eq!(first["ContributorInsightsSummaries"].as_array().unwrap().len(), 3);
    let rest = call(
        &e,
        "ListContributorInsights",
        json!({"MaxResults": 3, "NextToken": first["NextToken"]}),
    )
    .unwrap();
    assert_eq!(rest["ContributorInsightsSummaries"].as_array().unwrap().len(), 1);
    assert!(rest.get("NextToken").is_none());
    let only_b = call(&e, "ListContributorInsights", json!({"TableName": "bbb"})).unwrap();
    assert_eq!(only_b["ContributorInsightsSummaries"].as_array().unwrap().len(), 2);
}

#[test]
fn list_contributor_insights_takes_at_most_100_results() {
    let e = engine(false);
    let error = call(&e, "ListContributorInsights", json!({"MaxResults": 101})).unwrap_err();
    assert_eq!(
        error,
        (
            "ValidationException".to_string(),
            "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100".to_string()
        )
    );
    call(&e, "ListContributorInsights", json!({"MaxResults": 100})).unwrap();
}

#[test]
fn the_report_names_the_keys_a_workload_made_hot() {
    let e = engine(false);
    create(&e, "traffic", true, json!({}));
    enable(&e, "traffic", None);
    for i in 0..30 {
        put(&e, "traffic", "hot", Some(&format!("s{i}"))).unwrap();
    }
    for i in 0..5 {
        put(&e, "traffic", "warm", Some("only")).unwrap();
        put(&e, "traffic", &format!("cold{i}"), Some("x")).unwrap();
    }
    let report = report(&e, "traffic");
    assert_eq!(report["status"], "ENABLED");
    let pkc = &report["rules"][0];
    assert_eq!(pkc["rule"], "DynamoDBContributorInsights-PKC-traffic-1900000000000");
    assert_eq!(
        pkc["contributors"][0],
        json!({"key": "hot", "value": 30.0, "overestimate": 0.0})
    );
    assert_eq!(
        pkc["contributors"][1],
        json!({"key": "warm", "value": 5.0, "overestimate": 0.0})
    );
    let skc = &report["rules"][2];
    assert_eq!(
        skc["contributors"][0],
        json!({"key": "warm|only", "value": 5.0, "overestimate": 0.0})
    );
    // Nothing was throttled.
    assert_eq!(report["rules"][1]["contributors"], json!([]));
}

#[test]
fn the_report_names_the_keys_that_were_throttled() {
    let e = engine(true);
    create(
        &e,
        "capped",
        false,
        json!({"OnDemandThroughput": {"MaxWriteRequestUnits": 2}}),
    );
    enable(&e, "capped", Some("THROTTLED_KEYS"));
    let mut refused = 0;
    for _ in 0..6 {
        if put(&e, "capped", "busy", None).is_err() {
            refused += 1;
        }
    }
    assert_eq!(refused, 4);
    let report = report(&e, "capped");
    assert_eq!(
        report["rules"][0]["rule"],
        "DynamoDBContributorInsights-PKT-capped-1900000000000"
    );
    assert_eq!(
        report["rules"][0]["contributors"],
        json!([{"key": "busy", "value": 4.0, "overestimate": 0.0}])
    );
}

#[test]
fn a_gsi_query_counts_on_the_index_not_the_table() {
    let e = engine(false);
    create(&e, "gqt", false, json!({}));
    call(
        &e,
        "UpdateContributorInsights",
        json!({"TableName": "gqt", "IndexName": "byG", "ContributorInsightsAction": "ENABLE"}),
    )
    .unwrap();
    put(&e, "gqt", "p1", None).unwrap();
    common::wait_for_index(&e, "gqt", "byG");
    for _ in 0..3 {
        call(
            &e,
            "Query",
            json!({"TableName": "gqt", "IndexName": "byG", "KeyConditionExpression": "g = :g",
                   "ExpressionAttributeValues": {":g": {"S": "x"}}}),
        )
        .unwrap();
    }
    let index = serde_json::to_value(e.contributor_report("us-east-1", "gqt", Some("byG")).unwrap()).unwrap();
    assert_eq!(index["rules"][0]["contributors"][0]["key"], "x");
    assert_eq!(index["rules"][0]["contributors"][0]["value"], json!(1.5));
    // The table's own insights are off: nothing is counted there.
    assert_eq!(report(&e, "gqt")["rules"], json!([]));
}

#[test]
fn a_page_token_survives_a_table_dropped_between_pages() {
    let e = engine(false);
    for name in ["p_one", "p_two", "p_three"] {
        create(&e, name, false, json!({}));
    }
    // Sorted: p_one, p_one/byG, p_three, p_three/byG, p_two, p_two/byG.
    let first = call(&e, "ListContributorInsights", json!({"MaxResults": 2})).unwrap();
    assert_eq!(first["ContributorInsightsSummaries"][1]["TableName"], "p_one");
    call(&e, "DeleteTable", json!({"TableName": "p_one"})).unwrap();
    let rest = call(&e, "ListContributorInsights", json!({"NextToken": first["NextToken"]})).unwrap();
    let names: Vec<&str> = rest["ContributorInsightsSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["TableName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["p_three", "p_three", "p_two", "p_two"]);
}

#[test]
fn a_gsi_recreated_under_the_same_name_starts_with_insights_off() {
    let e = engine(false);
    create(&e, "regsi", false, json!({}));
    call(
        &e,
        "UpdateContributorInsights",
        json!({"TableName": "regsi", "IndexName": "byG", "ContributorInsightsAction": "ENABLE"}),
    )
    .unwrap();
    call(
        &e,
        "UpdateTable",
        json!({"TableName": "regsi", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "byG"}}]}),
    )
    .unwrap();
    call(
        &e,
        "UpdateTable",
        json!({"TableName": "regsi", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
               "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byG",
                   "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}]}),
    )
    .unwrap();
    let out = call(
        &e,
        "DescribeContributorInsights",
        json!({"TableName": "regsi", "IndexName": "byG"}),
    )
    .unwrap();
    assert_eq!(out["ContributorInsightsStatus"], "DISABLED");
}
