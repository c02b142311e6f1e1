//! `--enforce-capacity`: provisioned tables and GSIs throttle beyond their capacity
//! (after 300 seconds of burst), on-demand tables beyond their OnDemandThroughput
//! maximums, with DynamoDB's errors and ThrottlingReasons. On a clock the test
//! moves: no sleeps.

mod common;

use cairn_engine::{Engine, EngineConfig, ManualClock};
use serde_json::{json, Value};
use std::sync::Arc;

struct Setup {
    engine: Engine,
    clock: Arc<ManualClock>,
}

fn setup(enforce: bool) -> Setup {
    let clock = Arc::new(ManualClock::new(1_900_000_000.0));
    let config = EngineConfig {
        enforce_capacity: enforce,
        ..EngineConfig::default()
    };
    let engine = Engine::with_clock(common::test_storage(), config, clock.clone()).unwrap();
    Setup { engine, clock }
}

/// A call's result, or its error type, message and extra body members.
fn call(engine: &Engine, operation: &str, body: Value) -> Result<Value, (String, String, Value)> {
    let bytes = serde_json::to_vec(&body).unwrap();
    let ctx = cairn_engine::RequestContext::default();
    match cairn_server::call_operation(engine, &ctx, Some(&format!("DynamoDB_20120810.{operation}")), &bytes) {
        Ok(out) => Ok(serde_json::from_slice(&out).unwrap()),
        Err(e) => {
            let extra: serde_json::Map<String, Value> = e
                .extra
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::from_str(v).unwrap()))
                .collect();
            Err((e.kind.name().to_string(), e.message, Value::Object(extra)))
        }
    }
}

fn create(engine: &Engine, name: &str, extra: Value) {
    let mut body = json!({"TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(engine, "CreateTable", body).unwrap();
}

fn provisioned(read: i64, write: i64) -> Value {
    json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": read, "WriteCapacityUnits": write}})
}

fn put(engine: &Engine, table: &str, pk: &str) -> Result<Value, (String, String, Value)> {
    call(
        engine,
        "PutItem",
        json!({"TableName": table, "Item": {"pk": {"S": pk}, "g": {"S": "x"}}}),
    )
}

/// Puts one-unit items until one is throttled; returns how many went through.
fn puts_until_throttled(engine: &Engine, table: &str, limit: usize) -> (usize, (String, String, Value)) {
    for i in 0..limit {
        if let Err(e) = put(engine, table, &format!("k{i}")) {
            return (i, e);
        }
    }
    panic!("{limit} puts and no throttling");
}

const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/";

#[test]
fn a_provisioned_table_takes_its_burst_then_throttles_writes() {
    let s = setup(true);
    create(&s.engine, "five", provisioned(5, 5));
    // 300 seconds of 5 units: 1,500 one-unit writes, then the bucket is empty.
    let (done, (code, message, extra)) = puts_until_throttled(&s.engine, "five", 5000);
    assert_eq!(done, 1500);
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert_eq!(
        message,
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
    );
    assert_eq!(
        extra,
        json!({"ThrottlingReasons": [{"reason": "TableWriteProvisionedThroughputExceeded", "resource": format!("{TABLE_ARN}five")}]})
    );
    // One second later, five more.
    s.clock.advance(1.0);
    for i in 0..5 {
        put(&s.engine, "five", &format!("later{i}")).unwrap();
    }
    let (code, _, _) = put(&s.engine, "five", "one-too-many").unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
}

#[test]
fn reads_throttle_on_read_capacity_and_eventually_consistent_reads_cost_half() {
    let s = setup(true);
    create(&s.engine, "reads", provisioned(1, 100));
    put(&s.engine, "reads", "a").unwrap();
    let get = |consistent: bool| {
        call(
            &s.engine,
            "GetItem",
            json!({"TableName": "reads", "Key": {"pk": {"S": "a"}}, "ConsistentRead": consistent}),
        )
    };
    // 300 read units of burst: 600 eventually consistent reads.
    let mut reads = 0;
    let error = loop {
        match get(false) {
            Ok(_) => reads += 1,
            Err(e) => break e,
        }
        assert!(reads <= 1000);
    };
    assert_eq!(reads, 600);
    assert_eq!(error.0, "ProvisionedThroughputExceededException");
    assert_eq!(
        error.2["ThrottlingReasons"][0]["reason"],
        "TableReadProvisionedThroughputExceeded"
    );
    // Writes have their own bucket.
    put(&s.engine, "reads", "b").unwrap();
    s.clock.advance(2.0);
    get(true).unwrap();
}

#[test]
fn a_gsi_short_of_write_capacity_holds_back_base_table_writes() {
    let s = setup(true);
    create(
        &s.engine,
        "indexed",
        json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 100, "WriteCapacityUnits": 100},
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
               "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                   "Projection": {"ProjectionType": "ALL"},
                   "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}]}),
    );
    // The index takes 300 one-unit writes of burst; the table has far more.
    let (done, (code, message, extra)) = puts_until_throttled(&s.engine, "indexed", 5000);
    assert_eq!(done, 300);
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert!(message.contains("one or more global secondary indexes"), "{message}");
    assert_eq!(
        extra["ThrottlingReasons"],
        json!([{"reason": "IndexWriteProvisionedThroughputExceeded", "resource": format!("{TABLE_ARN}indexed/index/by_g")}])
    );
    // A write the index does not see still needs the index to have room: DynamoDB
    // throttles the base table; reads of the table are not affected.
    call(
        &s.engine,
        "GetItem",
        json!({"TableName": "indexed", "Key": {"pk": {"S": "k1"}}}),
    )
    .unwrap();
}

#[test]
fn an_on_demand_table_throttles_beyond_its_maximum() {
    let s = setup(true);
    create(
        &s.engine,
        "capped",
        json!({"BillingMode": "PAY_PER_REQUEST", "OnDemandThroughput": {"MaxWriteRequestUnits": 5}}),
    );
    let (done, (code, message, extra)) = puts_until_throttled(&s.engine, "capped", 100);
    assert_eq!(done, 5);
    assert_eq!(code, "ThrottlingException");
    assert_eq!(
        message,
        "Throughput exceeds the maximum OnDemandThroughput configured on table or index"
    );
    assert_eq!(
        extra,
        json!({"throttlingReasons": [{"reason": "TableWriteMaxOnDemandThroughputExceeded", "resource": format!("{TABLE_ARN}capped")}]})
    );
    s.clock.advance(1.0);
    put(&s.engine, "capped", "again").unwrap();
}

#[test]
fn an_on_demand_table_without_maximums_is_never_throttled() {
    let s = setup(true);
    create(&s.engine, "free", json!({"BillingMode": "PAY_PER_REQUEST"}));
    for i in 0..2000 {
        put(&s.engine, "free", &format!("k{i}")).unwrap();
    }
}

#[test]
fn without_enforce_capacity_nothing_is_throttled() {
    let s = setup(false);
    create(&s.engine, "five", provisioned(1, 1));
    for i in 0..2000 {
        put(&s.engine, "five", &format!("k{i}")).unwrap();
    }
}

#[test]
fn a_batch_write_on_an_exhausted_table_is_refused_whole_when_nothing_was_written() {
    let s = setup(true);
    create(&s.engine, "batch", provisioned(5, 1));
    puts_until_throttled(&s.engine, "batch", 1000);
    let (code, _, extra) = call(
        &s.engine,
        "BatchWriteItem",
        json!({"RequestItems": {"batch": [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}}]}}),
    )
    .unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert_eq!(
        extra["ThrottlingReasons"][0]["reason"],
        "TableWriteProvisionedThroughputExceeded"
    );
    s.clock.advance(10.0);
    call(
        &s.engine,
        "BatchWriteItem",
        json!({"RequestItems": {"batch": [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}}]}}),
    )
    .unwrap();
}

#[test]
fn a_raised_capacity_applies_at_once() {
    let s = setup(true);
    create(&s.engine, "grow", provisioned(1, 1));
    puts_until_throttled(&s.engine, "grow", 1000);
    call(
        &s.engine,
        "UpdateTable",
        json!({"TableName": "grow", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 100}}),
    )
    .unwrap();
    s.clock.advance(1.0);
    for i in 0..50 {
        put(&s.engine, "grow", &format!("after{i}")).unwrap();
    }
}

#[test]
fn a_query_of_a_gsi_spends_the_index_read_capacity_not_the_table() {
    let s = setup(true);
    create(
        &s.engine,
        "split",
        json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 100},
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
               "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                   "Projection": {"ProjectionType": "ALL"},
                   "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 100}}]}),
    );
    put(&s.engine, "split", "a").unwrap();
    let get = || {
        call(
            &s.engine,
            "GetItem",
            json!({"TableName": "split", "Key": {"pk": {"S": "a"}}, "ConsistentRead": true}),
        )
    };
    let query = || {
        call(
            &s.engine,
            "Query",
            json!({"TableName": "split", "IndexName": "by_g", "KeyConditionExpression": "g = :g",
                   "ExpressionAttributeValues": {":g": {"S": "x"}}}),
        )
    };
    // The table's 300 read units of burst go to GetItem ...
    let mut gets = 0;
    while get().is_ok() {
        gets += 1;
        assert!(gets <= 400);
    }
    assert_eq!(gets, 300);
    // ... and the index still reads from its own.
    query().unwrap();
    // A Query of the table itself is the table's read.
    let (code, _, extra) = call(
        &s.engine,
        "Query",
        json!({"TableName": "split", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
    )
    .unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert_eq!(
        extra["ThrottlingReasons"][0]["reason"],
        "TableReadProvisionedThroughputExceeded"
    );
    // Spend the index's burst too: then the index refuses, naming itself.
    let mut queries = 1;
    let error = loop {
        match query() {
            Ok(_) => queries += 1,
            Err(e) => break e,
        }
        assert!(queries <= 1000);
    };
    assert_eq!(error.0, "ProvisionedThroughputExceededException");
    assert_eq!(
        error.2["ThrottlingReasons"][0],
        json!({"reason": "IndexReadProvisionedThroughputExceeded", "resource": format!("{TABLE_ARN}split/index/by_g")})
    );
}

fn batch_put(engine: &Engine, table: &str, keys: &[&str]) -> Result<Value, (String, String, Value)> {
    let requests: Vec<Value> = keys
        .iter()
        .map(|k| json!({"PutRequest": {"Item": {"pk": {"S": k}}}}))
        .collect();
    call(engine, "BatchWriteItem", json!({"RequestItems": {table: requests}}))
}

#[test]
fn a_batch_write_past_the_capacity_returns_the_rest_as_unprocessed_items() {
    let s = setup(true);
    // One write unit per second: 300 of burst. Spend all but two.
    create(&s.engine, "partial", provisioned(5, 1));
    for i in 0..298 {
        put(&s.engine, "partial", &format!("k{i}")).unwrap();
    }
    let out = batch_put(&s.engine, "partial", &["b1", "b2", "b3", "b4"]).unwrap();
    assert_eq!(
        out["UnprocessedItems"],
        json!({"partial": [
            {"PutRequest": {"Item": {"pk": {"S": "b3"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "b4"}}}}
        ]})
    );
    for (key, stored) in [("b1", true), ("b2", true), ("b3", false)] {
        let got = call(
            &s.engine,
            "GetItem",
            json!({"TableName": "partial", "Key": {"pk": {"S": key}}}),
        )
        .unwrap();
        assert_eq!(got.get("Item").is_some(), stored, "{key}");
    }
    // Retrying the unprocessed items once capacity is back writes them.
    s.clock.advance(2.0);
    let out = batch_put(&s.engine, "partial", &["b3", "b4"]).unwrap();
    assert_eq!(out["UnprocessedItems"], json!({}));
}

#[test]
fn a_batch_get_past_the_capacity_returns_the_rest_as_unprocessed_keys() {
    let s = setup(true);
    create(&s.engine, "bget", provisioned(1, 100));
    put(&s.engine, "bget", "a").unwrap();
    // 300 read units of burst; strongly consistent reads cost one each.
    for _ in 0..299 {
        call(
            &s.engine,
            "GetItem",
            json!({"TableName": "bget", "Key": {"pk": {"S": "a"}}, "ConsistentRead": true}),
        )
        .unwrap();
    }
    let out = call(
        &s.engine,
        "BatchGetItem",
        json!({"RequestItems": {"bget": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}, {"pk": {"S": "c"}}],
                                          "ConsistentRead": true}}}),
    )
    .unwrap();
    assert_eq!(out["Responses"]["bget"].as_array().unwrap().len(), 1);
    assert_eq!(
        out["UnprocessedKeys"],
        json!({"bget": {"Keys": [{"pk": {"S": "b"}}, {"pk": {"S": "c"}}], "ConsistentRead": true}})
    );
    // Nothing left at all: the whole batch is refused with the table's reason.
    let (code, _, extra) = call(
        &s.engine,
        "BatchGetItem",
        json!({"RequestItems": {"bget": {"Keys": [{"pk": {"S": "b"}}]}}}),
    )
    .unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert_eq!(
        extra["ThrottlingReasons"][0]["reason"],
        "TableReadProvisionedThroughputExceeded"
    );
}

#[test]
fn a_transaction_on_an_exhausted_table_is_cancelled_with_a_throughput_reason() {
    let s = setup(true);
    create(&s.engine, "roomy", provisioned(5, 100));
    create(&s.engine, "tight", provisioned(5, 1));
    puts_until_throttled(&s.engine, "tight", 1000);
    let transact = || {
        call(
            &s.engine,
            "TransactWriteItems",
            json!({"TransactItems": [
                {"Put": {"TableName": "roomy", "Item": {"pk": {"S": "r"}}}},
                {"Put": {"TableName": "tight", "Item": {"pk": {"S": "t"}}}}
            ]}),
        )
    };
    let (code, message, extra) = transact().unwrap_err();
    assert_eq!(code, "TransactionCanceledException");
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ProvisionedThroughputExceeded]"
    );
    assert_eq!(extra["CancellationReasons"][0], json!({"Code": "None"}));
    assert_eq!(extra["CancellationReasons"][1]["Code"], "ProvisionedThroughputExceeded");
    assert_eq!(
        extra["CancellationReasons"][1]["Message"],
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
    );
    // Nothing was written, not even on the table with room.
    let got = call(
        &s.engine,
        "GetItem",
        json!({"TableName": "roomy", "Key": {"pk": {"S": "r"}}}),
    )
    .unwrap();
    assert!(got.get("Item").is_none());
    s.clock.advance(10.0);
    transact().unwrap();
}

#[test]
fn a_hot_key_hits_the_key_range_limit_while_the_table_is_under_its_capacity() {
    let s = setup(true);
    // On demand without maximums: only the key range (1,000 write units a second) limits.
    create(&s.engine, "hot", json!({"BillingMode": "PAY_PER_REQUEST"}));
    let (done, (code, message, extra)) = {
        let mut done = 0;
        loop {
            match put(&s.engine, "hot", "the-hot-key") {
                Ok(_) => done += 1,
                Err(e) => break (done, e),
            }
            assert!(done <= 2000, "a hot key was never throttled");
        }
    };
    assert_eq!(done, 1000);
    assert_eq!(code, "ThrottlingException");
    assert_eq!(
        message,
        "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
    );
    assert_eq!(
        extra,
        json!({"throttlingReasons": [{"reason": "TableWriteKeyRangeThroughputExceeded", "resource": format!("{TABLE_ARN}hot")}]})
    );
    // Other keys of the same table are not held back.
    put(&s.engine, "hot", "a-cold-key").unwrap();
    s.clock.advance(1.0);
    put(&s.engine, "hot", "the-hot-key").unwrap();
}

#[test]
fn a_hot_key_on_a_provisioned_table_is_refused_with_the_key_range_reason() {
    let s = setup(true);
    // 10,000 read units: far more than one key range's 3,000 a second.
    create(&s.engine, "wide", provisioned(10_000, 10));
    put(&s.engine, "wide", "hot").unwrap();
    let mut reads = 0;
    let (code, _, extra) = loop {
        match call(
            &s.engine,
            "GetItem",
            json!({"TableName": "wide", "Key": {"pk": {"S": "hot"}}, "ConsistentRead": true}),
        ) {
            Ok(_) => reads += 1,
            Err(e) => break e,
        }
        assert!(reads <= 5000);
    };
    assert_eq!(reads, 3000);
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert_eq!(
        extra,
        json!({"ThrottlingReasons": [{"reason": "TableReadKeyRangeThroughputExceeded", "resource": format!("{TABLE_ARN}wide")}]})
    );
}

#[test]
fn a_query_of_a_hot_partition_is_refused_on_its_key_range() {
    let s = setup(true);
    create(&s.engine, "qhot", json!({"BillingMode": "PAY_PER_REQUEST"}));
    put(&s.engine, "qhot", "p").unwrap();
    let query = |pk: &str| {
        call(
            &s.engine,
            "Query",
            json!({"TableName": "qhot", "KeyConditionExpression": "pk = :p",
                   "ExpressionAttributeValues": {":p": {"S": pk}}, "ConsistentRead": true}),
        )
    };
    let mut queries = 0;
    let (code, _, extra) = loop {
        match query("p") {
            Ok(_) => queries += 1,
            Err(e) => break e,
        }
        assert!(queries <= 5000);
    };
    assert_eq!(queries, 3000);
    assert_eq!(code, "ThrottlingException");
    assert_eq!(
        extra["throttlingReasons"][0]["reason"],
        "TableReadKeyRangeThroughputExceeded"
    );
    query("another-partition").unwrap();
}

#[test]
fn a_write_refused_by_its_condition_still_spends_write_capacity() {
    let s = setup(true);
    create(&s.engine, "cond", provisioned(5, 1));
    put(&s.engine, "cond", "exists").unwrap();
    // 299 units of burst left; each refused conditional put still costs one.
    for _ in 0..299 {
        let (code, _, _) = call(
            &s.engine,
            "PutItem",
            json!({"TableName": "cond", "Item": {"pk": {"S": "exists"}},
                   "ConditionExpression": "attribute_not_exists(pk)"}),
        )
        .unwrap_err();
        assert_eq!(code, "ConditionalCheckFailedException");
    }
    let (code, _, _) = put(&s.engine, "cond", "new").unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
}

/// Counts the attempts the SDK has finished (retries included).
#[derive(Debug, Clone, Default)]
struct Attempts(Arc<std::sync::atomic::AtomicUsize>);

impl aws_sdk_dynamodb::config::Intercept for Attempts {
    fn name(&self) -> &'static str {
        "Attempts"
    }

    fn read_after_attempt(
        &self,
        _context: &aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_sdk_retries_a_throttled_write_until_capacity_returns() {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::types::AttributeValue;
    use std::sync::atomic::Ordering;
    // Engine calls block (PostgreSQL's client does): off the async workers.
    let s = tokio::task::spawn_blocking(|| {
        let s = setup(true);
        create(&s.engine, "retried", provisioned(5, 1));
        puts_until_throttled(&s.engine, "retried", 1000);
        s
    })
    .await
    .unwrap();
    let clock = s.clock.clone();
    let engine = Arc::new(s.engine);
    let config = cairn_server::ServerConfig {
        engine_blocks: true,
        ..cairn_server::ServerConfig::default()
    };
    let server = common::TestServer::start_engine(engine, config).await;
    let attempts = Attempts::default();
    let client_with = |retry: RetryConfig| {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .endpoint_url(server.url())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "AKID", "secret", None, None, "test",
            ))
            .retry_config(retry)
            .interceptor(attempts.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    };
    // Without retries the write is refused as throttled.
    let refused = client_with(RetryConfig::disabled())
        .put_item()
        .table_name("retried")
        .item("pk", AttributeValue::S("sdk".into()))
        .send()
        .await;
    assert_eq!(common::error_of(refused).0, "ProvisionedThroughputExceededException");
    // With the SDK's standard retries: the first attempt is throttled; once it is,
    // the table's clock moves a second on and the SDK's retry goes through.
    attempts.0.store(0, Ordering::SeqCst);
    let ticker = {
        let attempts = attempts.clone();
        std::thread::spawn(move || {
            while attempts.0.load(Ordering::SeqCst) == 0 {
                std::thread::yield_now();
            }
            clock.advance(1.0);
        })
    };
    let out = client_with(RetryConfig::standard().with_max_attempts(5))
        .put_item()
        .table_name("retried")
        .item("pk", AttributeValue::S("sdk".into()))
        .send()
        .await;
    ticker.join().unwrap();
    out.unwrap();
    assert_eq!(attempts.0.load(Ordering::SeqCst), 2, "one throttled attempt, one retry");
}

#[test]
fn a_validation_error_comes_before_throttling() {
    let s = setup(true);
    create(&s.engine, "order", provisioned(5, 1));
    puts_until_throttled(&s.engine, "order", 1000);
    let (code, message, _) = call(
        &s.engine,
        "UpdateItem",
        json!({"TableName": "order", "Key": {"pk": {"S": "k1"}}, "UpdateExpression": "SET pk = :v",
               "ExpressionAttributeValues": {":v": {"S": "x"}}}),
    )
    .unwrap_err();
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    );
    let (code, _, _) = call(
        &s.engine,
        "UpdateItem",
        json!({"TableName": "order", "Key": {"pk": {"S": "k1"}}, "UpdateExpression": "SET v = :v",
               "ExpressionAttributeValues": {":v": {"S": "x"}}}),
    )
    .unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
}
